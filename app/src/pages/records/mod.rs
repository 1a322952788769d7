//! Records: the list (search, filters, views, columns, bulk actions), one record's page,
//! the trash and identification by phone or e-mail.

pub mod activity;
pub mod bulk;
pub mod columns;
pub mod duplicates;
pub mod export;
pub mod filters;
pub mod history;
pub mod identify;
pub mod import;
pub mod imports;
pub mod list;
pub mod merge;
pub mod record;
pub mod trash;
pub mod views;

pub use duplicates::DuplicatesPage;
pub use identify::IdentifyPage;
pub use imports::ImportsPage;
pub use list::RecordsPage;
pub use merge::MergePage;
pub use record::RecordPage;
pub use trash::TrashPage;
