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

    /// May bring a list in (and revert an import): administrators and managers.
    pub fn may_import(self) -> bool {
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

/// The user a rule is applied for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: crate::UserId,
    pub role: Role,
}

impl Actor {
    fn is(&self, user_id: Option<&str>) -> bool {
        user_id.is_some_and(|id| id == self.user_id.to_string())
    }
}

/// What decides who sees a row (PROTOCOL.md, "Who sees and writes what").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowScope {
    /// Settings and the user directory.
    Everyone,
    /// A contact (its `owner_id`), or a task or activity (its record's owner).
    Owned { owner: Option<String> },
    /// A saved view: its creator, and whether it is shared.
    View { owner: Option<String>, shared: bool },
}

impl RowScope {
    /// The scope a new row of `entity` starts with, created by `actor`.
    pub fn new_row(entity: Entity, actor: &Actor) -> RowScope {
        match entity {
            e if e == Entity::Contact || e.belongs_to_record() => RowScope::Owned { owner: None },
            Entity::View => RowScope::View {
                owner: Some(actor.user_id.to_string()),
                shared: false,
            },
            _ => RowScope::Everyone,
        }
    }
}

use crate::schema::Entity;

/// Whether `actor` may see a row with this scope.
pub fn may_see(actor: &Actor, scope: &RowScope) -> bool {
    match scope {
        RowScope::Everyone => true,
        RowScope::Owned { owner } => {
            actor.role != Role::Restricted || owner.is_none() || actor.is(owner.as_deref())
        }
        RowScope::View { owner, shared } => *shared || actor.is(owner.as_deref()),
    }
}

/// Whether `actor` may write `field` = `value` on a row of `entity` whose scope is `scope`
/// (the scope of a new row for a row that does not exist yet). `record_scope` is the scope
/// of the contact a `record_id` write points to. `Err` says why not.
pub fn check_write(
    actor: &Actor,
    entity: Entity,
    scope: &RowScope,
    field: &str,
    value: &serde_json::Value,
    record_scope: Option<&RowScope>,
) -> Result<(), String> {
    match entity {
        Entity::User => Err("accounts change through the users API, not through sync".into()),
        e if e.is_setting() => {
            if actor.role.may_change_settings() {
                Ok(())
            } else {
                Err("only an administrator may change settings".into())
            }
        }
        Entity::Import => {
            if actor.role.may_import() {
                Ok(())
            } else {
                Err("only administrators and managers import".into())
            }
        }
        e if e == Entity::Contact || e.belongs_to_record() => {
            if !may_see(actor, scope) {
                return Err("this record is assigned to someone else".into());
            }
            if entity == Entity::Contact && field == "owner_id" && actor.role == Role::Restricted {
                let to = value.as_str();
                if to.is_some() && !actor.is(to) {
                    return Err("you may assign a record only to yourself or to nobody".into());
                }
            }
            if field == "record_id" && record_scope.is_some_and(|scope| !may_see(actor, scope)) {
                return Err("that record is assigned to someone else".into());
            }
            Ok(())
        }
        Entity::View => {
            let RowScope::View { owner, shared } = scope else {
                return Err("not a view".into());
            };
            // The owner is who made the view, for good: neither a new view for someone
            // else nor a shared one taken over.
            if field == "owner_id"
                && (value.as_str() != owner.as_deref() || !actor.is(owner.as_deref()))
            {
                return Err("a view's owner is the user who made it".into());
            }
            let may_share = matches!(actor.role, Role::Admin | Role::Manager);
            if *shared {
                // A shared view is the team's: administrators and managers change it.
                if may_share {
                    Ok(())
                } else {
                    Err("only administrators and managers may change shared views".into())
                }
            } else if !actor.is(owner.as_deref()) {
                // A private view is written by its owner only, sharing included.
                Err("this view belongs to someone else".into())
            } else if field == "shared" && value.as_bool() == Some(true) && !may_share {
                Err("only administrators and managers may share views".into())
            } else {
                Ok(())
            }
        }
        _ => Err("unknown entity".into()),
    }
}

#[cfg(test)]
mod record_rules {
    use serde_json::{Value, json};

    use super::*;
    use crate::UserId;

    fn actor(role: Role, n: u128) -> Actor {
        Actor {
            user_id: UserId(uuid::Uuid::from_u128(n)),
            role,
        }
    }

    fn owned(n: Option<u128>) -> RowScope {
        RowScope::Owned {
            owner: n.map(|n| uuid::Uuid::from_u128(n).to_string()),
        }
    }

    fn view(owner: u128, shared: bool) -> RowScope {
        RowScope::View {
            owner: Some(uuid::Uuid::from_u128(owner).to_string()),
            shared,
        }
    }

    /// The id of user `n` as a field value.
    fn user(n: u128) -> Value {
        json!(uuid::Uuid::from_u128(n).to_string())
    }

    /// `(who, scope, field, value, allowed)`: a write of a row of no record.
    type Write<'a> = (&'a Actor, &'a RowScope, &'a str, Value, bool);

    /// Each write of a row of `entity` is allowed (`Ok`) exactly when its row says so.
    #[track_caller]
    fn check_writes(entity: Entity, writes: &[Write]) {
        for (n, (who, scope, field, value, allowed)) in writes.iter().enumerate() {
            let result = check_write(who, entity, scope, field, value, None);
            assert_eq!(
                result.is_ok(),
                *allowed,
                "write {n}: {:?} sets {entity:?}.{field} = {value} in {scope:?}: {result:?}",
                who.role
            );
        }
    }

    #[test]
    fn restricted_users_see_their_own_and_unassigned_records_only() {
        let me = actor(Role::Restricted, 1);
        assert!(may_see(&me, &owned(None)));
        assert!(may_see(&me, &owned(Some(1))));
        assert!(!may_see(&me, &owned(Some(2))));
        for role in [Role::Admin, Role::Manager, Role::Agent] {
            assert!(may_see(&actor(role, 1), &owned(Some(2))), "{role}");
        }
    }

    #[test]
    fn restricted_users_assign_only_to_themselves_or_nobody() {
        let me = actor(Role::Restricted, 1);
        let agent = actor(Role::Agent, 3);
        let (mine, theirs, nobodys) = (owned(Some(1)), owned(Some(2)), owned(None));
        check_writes(
            Entity::Contact,
            &[
                (&me, &nobodys, "owner_id", user(1), true),
                (&me, &mine, "owner_id", json!(null), true),
                (&me, &nobodys, "owner_id", user(2), false),
                (&me, &theirs, "city", json!("Brno"), false),
                (&agent, &theirs, "owner_id", user(2), true),
            ],
        );
    }

    #[test]
    fn tasks_follow_their_record() {
        let me = actor(Role::Restricted, 1);
        let (theirs, nobodys) = (owned(Some(2)), owned(None));
        check_writes(Entity::Task, &[(&me, &theirs, "title", json!("x"), false)]);
        // A task moved to a record: allowed when the user may see that record.
        let move_to = |record: &RowScope| {
            check_write(
                &me,
                Entity::Task,
                &nobodys,
                "record_id",
                &json!("x"),
                Some(record),
            )
        };
        assert!(move_to(&theirs).is_err());
        assert!(move_to(&nobodys).is_ok());
    }

    #[test]
    fn settings_are_for_admins_and_users_for_nobody() {
        let everyone = RowScope::Everyone;
        for role in Role::ALL {
            let a = actor(role, 1);
            let admin = role == Role::Admin;
            check_writes(
                Entity::Segment,
                &[(&a, &everyone, "name", json!("VIP"), admin)],
            );
            check_writes(Entity::User, &[(&a, &everyone, "name", json!("x"), false)]);
        }
    }

    #[test]
    fn imports_are_seen_by_everyone_and_written_by_administrators_and_managers() {
        let everyone = RowScope::Everyone;
        for role in Role::ALL {
            let a = actor(role, 1);
            let importer = matches!(role, Role::Admin | Role::Manager);
            assert_eq!(role.may_import(), importer, "{role}");
            assert!(
                may_see(&a, &RowScope::new_row(Entity::Import, &a)),
                "{role}"
            );
            check_writes(
                Entity::Import,
                &[(&a, &everyone, "status", json!("reverted"), importer)],
            );
        }
    }

    #[test]
    fn a_private_view_is_written_only_by_its_owner_sharing_included() {
        let agent = actor(Role::Agent, 1);
        let manager = actor(Role::Manager, 2);
        let admin = actor(Role::Admin, 3);
        let private = view(1, false);
        let managers_own = RowScope::new_row(Entity::View, &manager);
        let team = view(3, true);
        check_writes(
            Entity::View,
            &[
                // Neither a manager nor an admin may publish someone's private view or
                // change it.
                (&manager, &private, "shared", json!(true), false),
                (&manager, &private, "name", json!("x"), false),
                (&admin, &private, "shared", json!(true), false),
                (&admin, &private, "name", json!("x"), false),
                (&manager, &managers_own, "shared", json!(true), true),
                // The owner may keep it private.
                (&agent, &private, "shared", json!(false), true),
                (&manager, &team, "shared", json!(false), true),
                // A shared view cannot be taken over.
                (&manager, &team, "owner_id", user(2), false),
                (&agent, &team, "shared", json!(false), false),
            ],
        );
    }

    #[test]
    fn views_belong_to_their_owner_unless_shared() {
        let agent = actor(Role::Agent, 1);
        let manager = actor(Role::Manager, 2);
        let new = RowScope::new_row(Entity::View, &agent);
        let shared = view(1, true);
        assert!(!may_see(&manager, &new));
        assert!(may_see(&actor(Role::Restricted, 9), &shared));
        check_writes(
            Entity::View,
            &[
                (&agent, &new, "name", json!("Mine"), true),
                (&agent, &new, "shared", json!(true), false),
                (&manager, &new, "name", json!("x"), false),
                (&manager, &shared, "name", json!("Team"), true),
                (&agent, &shared, "name", json!("Mine now"), false),
                (&agent, &new, "owner_id", user(2), false),
            ],
        );
    }
}
