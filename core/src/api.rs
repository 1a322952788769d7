//! Wire types of the HTTP API (shared/PROTOCOL.md, "Conventions", "Auth", "Health").
//!
//! Every type here is serialized: its shape is part of the contract and must not change;
//! fields may only be added.

use serde::{Deserialize, Serialize};

use crate::{Role, UserId};

/// The body of every error reply: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable snake_case code a program can act on.
    pub code: String,
    /// A sentence for humans.
    pub message: String,
}

/// A user account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// A deactivated user cannot log in and their tokens stop working.
    #[serde(default = "default_true")]
    pub active: bool,
}

/// The user a rule is applied for (the access rules know roles, not the wire type).
impl From<&User> for crate::access::Actor {
    fn from(user: &User) -> Self {
        crate::access::Actor {
            user_id: user.id,
            role: user.role,
        }
    }
}

fn default_true() -> bool {
    true
}

/// `POST /api/auth/login`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Reply to a successful login or first-run setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: User,
}

/// `POST /api/users`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// `PATCH /api/users/{id}`: every field optional; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `GET /api/users`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `GET /api/setup`: whether the server still waits for its first administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupStatus {
    pub needed: bool,
}

/// `POST /api/setup`: creates the first administrator with the one-time setup token the
/// server printed at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub name: String,
    pub password: String,
}

/// `GET /api/health`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}
