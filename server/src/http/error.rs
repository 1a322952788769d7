//! The one error type of the HTTP boundary. Every failure becomes the JSON error shape of
//! PROTOCOL.md here, and only here; internal causes are logged, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minicrm_core::api::{ErrorBody, ErrorDetail};
use minicrm_core::report::BoundsError;
use minicrm_core::validate::InputError;

use crate::auth::gate::Busy;
use crate::auth::password::HashError;
use crate::db::DbError;
use crate::db::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is not what the route takes (bad JSON, bad query).
    #[error("{0}")]
    Malformed(String),
    /// 401: no token, or a bad, revoked or expired one.
    #[error("You are not logged in, or your session has expired. Log in again.")]
    Unauthorized,
    /// 401: login with an unknown e-mail or a wrong password; one message for both.
    #[error("The e-mail or password is not correct.")]
    BadCredentials,
    /// 403: the account is deactivated (told only to someone who knows its password).
    #[error("This account has been deactivated. Ask your administrator.")]
    AccountDisabled,
    /// 403: logged in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: unknown route or id.
    #[error("{0}")]
    NotFound(String),
    /// 405
    #[error("This method is not allowed here.")]
    MethodNotAllowed,
    /// 409: the request conflicts with the state of the server.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 413
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415
    #[error("Send the body as JSON with the header Content-Type: application/json.")]
    UnsupportedMediaType,
    /// 422: well-formed but invalid.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// 429
    #[error("Too many failed attempts. Try again in {} minutes.", retry_after.as_secs().div_ceil(60))]
    TooManyAttempts { retry_after: Duration },
    /// 503: the server is busy checking other passwords; try again shortly.
    #[error("The server is busy. Try again in a few seconds.")]
    Busy { retry_after: Duration },
    /// 500: logged with its cause; the client learns nothing of the internals.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::AccountDisabled | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadCredentials => "invalid_credentials",
            ApiError::AccountDisabled => "account_disabled",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. } | ApiError::Invalid { code, .. } => code,
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::Busy { .. } => "busy",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// 404 for a path under `/api` that no route takes.
    pub fn no_such_route() -> Self {
        ApiError::not_found("There is no such API route.")
    }
}

/// Sentence case for messages built from core's lowercase error texts.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

impl From<InputError> for ApiError {
    fn from(err: InputError) -> Self {
        let code = match err {
            InputError::EmailEmpty | InputError::EmailMalformed(_) => "invalid_email",
            InputError::NameEmpty | InputError::NameTooLong => "invalid_name",
            InputError::PasswordTooShort | InputError::PasswordTooLong => "invalid_password",
        };
        ApiError::invalid(code, sentence(&err.to_string()))
    }
}

/// A report's day boundaries that core refuses: a bad query, like any other (400).
impl From<BoundsError> for ApiError {
    fn from(err: BoundsError) -> Self {
        ApiError::Malformed(sentence(&err.to_string()))
    }
}

impl ApiError {
    /// The error for a bare status that some layer answered without the API's shape.
    fn for_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
            StatusCode::FORBIDDEN => ApiError::forbidden("This is not allowed."),
            StatusCode::NOT_FOUND => ApiError::no_such_route(),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("The request body is too large.".into())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => {
                ApiError::invalid("invalid_request", "The request is not valid.")
            }
            status if status.is_server_error() => ApiError::internal(format!("bare {status}")),
            _ => ApiError::Malformed(
                "The request could not be read: check the path, the query and the body.".into(),
            ),
        }
    }
}

/// Every API failure has the JSON error shape, even one that a framework layer answered in
/// plain text (a path segment that is not UTF-8, say): its status stays, its body becomes
/// the shape.
pub async fn json_errors_only(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return response;
    }
    let mut shaped = ApiError::for_status(status).into_response();
    *shaped.status_mut() = status;
    shaped
}

impl From<Busy> for ApiError {
    fn from(_: Busy) -> Self {
        ApiError::Busy {
            retry_after: Duration::from_secs(1),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        ApiError::internal(err)
    }
}

/// The accounts' constraints, as the API answers them.
impl From<UserError> for ApiError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::EmailTaken(_) => {
                ApiError::invalid("email_taken", "An account with this e-mail already exists.")
            }
            UserError::LastAdmin => ApiError::invalid(
                "last_admin",
                "This is the last active administrator. Make another user an administrator first.",
            ),
            UserError::Db(err) => err.into(),
        }
    }
}

/// A blocking task (a password hash or check) that panicked or was cancelled.
impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        ApiError::internal(err)
    }
}

impl From<HashError> for ApiError {
    fn from(err: HashError) -> Self {
        ApiError::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                "Something went wrong on the server. Your data is safe; try again.".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyAttempts { retry_after } | ApiError::Busy { retry_after } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let ApiError::Unauthorized | ApiError::BadCredentials = &self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
