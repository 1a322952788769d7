//! Who may do what. The server enforces these rules; the app mirrors them to hide what a
//! user cannot do. Record-level rules (owner, scope) join this module with the sync engine.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role (shared/MISSION.md, "People and roles").
///
/// Wire shape (must not change): the lowercase names below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including settings, users and purging the trash.
    Admin,
    /// Every record and every report; not the settings.
    Manager,
    /// Records and tasks; no settings.
    Agent,
    /// Only records assigned to them or to nobody.
    Restricted,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Agent, Role::Restricted];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Restricted => "restricted",
        }
    }

    /// May list the team's accounts (`GET /api/users`).
    pub fn may_list_users(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// May create and change accounts (`POST`/`PATCH /api/users`).
    pub fn may_manage_users(self) -> bool {
        self == Role::Admin
    }

    /// May change settings: fields, segments, stages, outcomes.
    pub fn may_change_settings(self) -> bool {
        self == Role::Admin
    }

    /// May open the team's reports (every agent's figures).
    pub fn may_see_team_reports(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// May empty the trash for good.
    pub fn may_purge_trash(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the four role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected admin, manager, agent or restricted")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The areas of the app, as the navigation shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    Records,
    Tasks,
    Reports,
    Settings,
    Trash,
}

impl Area {
    /// The areas a role may open, in navigation order.
    pub fn visible_to(role: Role) -> Vec<Area> {
        let mut areas = vec![Area::Records, Area::Tasks, Area::Reports];
        if role.may_change_settings() {
            areas.push(Area::Settings);
        }
        areas.push(Area::Trash);
        areas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print_their_wire_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_admins_manage_users_and_settings() {
        let table = [
            (Role::Admin, true, true, true),
            (Role::Manager, true, false, false),
            (Role::Agent, false, false, false),
            (Role::Restricted, false, false, false),
        ];
        for (role, list, manage, settings) in table {
            assert_eq!(role.may_list_users(), list, "{role} list users");
            assert_eq!(role.may_manage_users(), manage, "{role} manage users");
            assert_eq!(role.may_change_settings(), settings, "{role} settings");
        }
    }

    #[test]
    fn settings_area_is_for_admins_only() {
        assert!(Area::visible_to(Role::Admin).contains(&Area::Settings));
        for role in [Role::Manager, Role::Agent, Role::Restricted] {
            let areas = Area::visible_to(role);
            assert!(!areas.contains(&Area::Settings), "{role}");
            assert_eq!(areas[0], Area::Records);
        }
    }
}
