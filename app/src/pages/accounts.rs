//! What the account screens (login, setup, the shell, Settings → Users) say and do alike:
//! a role's name, why a new account's form is refused, the password form's submission.

use minicrm_core::Role;
use minicrm_core::validate::{AccountField, check_new_account};

use crate::pages::forms::Submit;
use crate::state::session::Session;
use crate::t;

/// "Role: Administrator", as the shell and the users table show a user's role.
pub fn role_label(role: Role) -> String {
    t!("shell-role", role = role.as_str())
}

/// A role's name alone ("Administrator"), as the role picker offers it.
pub fn role_name(role: Role) -> String {
    let key = match role {
        Role::Admin => "role-admin",
        Role::Manager => "role-manager",
        Role::Agent => "role-agent",
        Role::Restricted => "role-restricted",
    };
    t!(key)
}

/// What is wrong with a new account's name, e-mail or password (core's
/// [`check_new_account`]), as the form says it; `None` when it may be sent.
pub fn new_account_problem(name: &str, email: &str, password: &str) -> Option<String> {
    let problem = check_new_account(name, email, password).err()?;
    Some(match problem.field {
        AccountField::Name => t!("error-name"),
        AccountField::Email => t!("error-email"),
        AccountField::Password => t!("error-password-short"),
    })
}

/// Logging in with `(email, password)`, one attempt at a time, its failure as the form's
/// error: the login page's form and the shell's "enter your password again".
pub fn log_in_submit(session: Session) -> Submit<(String, String)> {
    Submit::new(move |(email, password): (String, String)| async move {
        session
            .log_in(email, password)
            .await
            .map_err(|err| err.user_message())
    })
}
