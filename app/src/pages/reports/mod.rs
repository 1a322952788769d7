//! Reports: the team's day (a row per agent), an agent's month (a row per day, a chart of
//! calls by outcome), the period report for managers and breakdowns of the records. The figures are core's (`minicrm_core::report`), counted from the
//! replica's activities and tasks in the team's time zone, so they work offline and follow
//! every logged call at once; what only the server's history knows (records created and
//! changed, stage changes) comes from `/api/reports/changes` ([`server`]).

mod breakdown;
mod chart;
mod common;
mod day;
mod month;
mod period;
mod server;
mod table;

pub use breakdown::BreakdownPage;
pub use day::ReportsPage;
pub use month::AgentMonthPage;
pub use period::PeriodPage;
