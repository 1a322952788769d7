//! Validation of what people type, shared by the server (the judge) and the app (which
//! explains the problem next to the field before anything is sent).

use thiserror::Error;

/// The shortest password an account may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted (argon2 hashes anything, but a megabyte password is abuse).
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("enter an e-mail address")]
    EmailEmpty,
    #[error("{0:?} is not an e-mail address")]
    EmailMalformed(String),
    #[error("enter a name")]
    NameEmpty,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    PasswordTooLong,
}

/// Trims and lowercases an e-mail address and checks its shape: one `@`, a non-empty
/// local part, a domain with a dot and no empty labels, no spaces. Mailbox existence is
/// not something a form can know.
pub fn normalize_email(input: &str) -> Result<String, InputError> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(InputError::EmailEmpty);
    }
    let malformed = || InputError::EmailMalformed(input.trim().to_owned());
    if email.chars().count() > MAX_EMAIL_CHARS || email.chars().any(char::is_whitespace) {
        return Err(malformed());
    }
    let (local, domain) = email.split_once('@').ok_or_else(malformed)?;
    if local.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(malformed());
    }
    if domain
        .split('.')
        .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'))
    {
        return Err(malformed());
    }
    Ok(email)
}

/// Trims a person's display name and checks it is present and of sane length.
pub fn normalize_name(input: &str) -> Result<String, InputError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(InputError::NameEmpty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InputError::NameTooLong);
    }
    Ok(name.to_owned())
}

/// Checks a new password. Passwords are never trimmed: every character counts.
pub fn check_password(password: &str) -> Result<(), InputError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(InputError::PasswordTooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(InputError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// A field of the form that makes a new account (first-run setup, Settings → Users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    Name,
    Email,
    Password,
}

/// Why a new account's form is refused: the first field that fails, and how.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{error}")]
pub struct AccountProblem {
    pub field: AccountField,
    pub error: InputError,
}

/// Checks a new account's name, e-mail and password as typed, in the form's order (name,
/// e-mail, password), and names the first field that fails. The values sent stay as typed:
/// the server normalizes them itself.
pub fn check_new_account(name: &str, email: &str, password: &str) -> Result<(), AccountProblem> {
    let problem = |field| move |error| AccountProblem { field, error };
    normalize_name(name).map_err(problem(AccountField::Name))?;
    normalize_email(email).map_err(problem(AccountField::Email))?;
    check_password(password).map_err(problem(AccountField::Password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let cases = [
            ("  Ada@Example.COM ", "ada@example.com"),
            (
                "jan.kowalski+crm@firma.com.pl",
                "jan.kowalski+crm@firma.com.pl",
            ),
            ("éva@példa.hu", "éva@példa.hu"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_email(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        assert_eq!(normalize_email("   "), Err(InputError::EmailEmpty));
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada@exa mple.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@example.com.",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(InputError::EmailMalformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(normalize_name("  Ada Lovelace "), Ok("Ada Lovelace".into()));
        assert_eq!(normalize_name(" \t"), Err(InputError::NameEmpty));
        assert_eq!(
            normalize_name(&"x".repeat(201)),
            Err(InputError::NameTooLong)
        );
    }

    #[test]
    fn passwords_have_bounds_counted_in_characters() {
        assert_eq!(check_password("1234567"), Err(InputError::PasswordTooShort));
        assert_eq!(check_password("zażółćgę"), Ok(()));
        assert_eq!(
            check_password(&"a".repeat(257)),
            Err(InputError::PasswordTooLong)
        );
    }

    #[test]
    fn a_new_account_names_its_first_wrong_field() {
        let good = ("Ada", "ada@example.com", "12345678");
        assert_eq!(check_new_account(good.0, good.1, good.2), Ok(()));
        let cases = [
            (
                ("  ", "ada", "1"),
                AccountField::Name,
                InputError::NameEmpty,
            ),
            (
                ("Ada", "ada", "1"),
                AccountField::Email,
                InputError::EmailMalformed("ada".into()),
            ),
            (
                ("Ada", "", "1"),
                AccountField::Email,
                InputError::EmailEmpty,
            ),
            (
                ("Ada", "ada@example.com", "1234567"),
                AccountField::Password,
                InputError::PasswordTooShort,
            ),
            (
                (&"x".repeat(201), "ada@example.com", "12345678"),
                AccountField::Name,
                InputError::NameTooLong,
            ),
        ];
        for ((name, email, password), field, error) in cases {
            assert_eq!(
                check_new_account(name, email, password),
                Err(AccountProblem { field, error }),
                "{name:?} {email:?} {password:?}"
            );
        }
        let long = "a".repeat(257);
        assert_eq!(
            check_new_account("Ada", "ada@example.com", &long).map_err(|p| p.field),
            Err(AccountField::Password)
        );
    }
}
