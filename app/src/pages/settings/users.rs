//! Settings → Users: the team's accounts. Accounts live on the server, so
//! this screen needs the network and says so when there is none.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::api::{CreateUserRequest, UpdateUserRequest, User};
use minicrm_core::{Role, validate};

use crate::api::{self, ApiError};
use crate::pages::shell::role_label;
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::t;

#[component]
pub fn UsersSection() -> impl IntoView {
    let session = use_session();
    let online = use_online();
    let users = RwSignal::new(None::<Result<Vec<User>, ApiError>>);
    let reload = move || {
        let Some(token) = session.token() else {
            return;
        };
        spawn_local(async move {
            let result = api::list_users(&token).await.map(|list| list.users);
            if let Err(err) = &result {
                session.note_api_error(err).await;
            }
            users.set(Some(result));
        });
    };
    // Load now, and again whenever the connection comes back.
    Effect::new(move || {
        if online.get() {
            reload();
        }
    });

    view! {
        <section class="panel" aria-labelledby="users-title">
            <h2 id="users-title">{t!("users-title")}</h2>
            {move || match users.get() {
                None => view! { <p role="status">{t!("users-loading")}</p> }.into_any(),
                Some(Err(ApiError::Unreachable)) => view! { <p class="notice">{t!("users-need-network")}</p> }.into_any(),
                Some(Err(err)) => view! { <p class="form-error" role="alert">{err.user_message()}</p> }.into_any(),
                Some(Ok(list)) => view! { <UsersTable users=list on_change=reload /> }.into_any(),
            }}
            <AddUserForm on_added=reload />
        </section>
    }
}

#[component]
fn UsersTable(
    users: Vec<User>,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let error = RwSignal::new(None::<String>);
    let set_active = move |user: User, active: bool| {
        let Some(token) = session.token() else {
            return;
        };
        spawn_local(async move {
            let request = UpdateUserRequest {
                active: Some(active),
                ..Default::default()
            };
            match api::update_user(&token, &user.id.to_string(), &request).await {
                Ok(_) => {
                    error.set(None);
                    on_change();
                }
                Err(err) => {
                    session.note_api_error(&err).await;
                    error.set(Some(err.user_message()));
                }
            }
        });
    };
    let rows = users
        .into_iter()
        .map(|user| {
            let toggle_label = if user.active {
                t!("users-deactivate", name = user.name)
            } else {
                t!("users-reactivate", name = user.name)
            };
            let target = user.clone();
            let make_active = !user.active;
            view! {
                <tr>
                    <td>{user.name.clone()}</td>
                    <td>{user.email.clone()}</td>
                    <td>{role_label(user.role)}</td>
                    <td>{if user.active { t!("users-active") } else { t!("users-inactive") }}</td>
                    <td>
                        <button type="button" on:click=move |_| set_active(target.clone(), make_active)>
                            {toggle_label}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Show when=move || error.get().is_some()>
            <p class="form-error" role="alert">{move || error.get()}</p>
        </Show>
        <table class="data-table">
            <thead>
                <tr>
                    <th scope="col">{t!("users-name")}</th>
                    <th scope="col">{t!("users-email")}</th>
                    <th scope="col">{t!("users-role")}</th>
                    <th scope="col">{t!("users-status")}</th>
                    <th scope="col">{t!("users-actions")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn role_message_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role-admin",
        Role::Manager => "role-manager",
        Role::Agent => "role-agent",
        Role::Restricted => "role-restricted",
    }
}

#[component]
fn AddUserForm(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent.as_str().to_owned());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(None);
        let problem = validate::normalize_name(&name.get_untracked())
            .err()
            .map(|_| t!("error-name"))
            .or_else(|| {
                validate::normalize_email(&email.get_untracked())
                    .err()
                    .map(|_| t!("error-email"))
            })
            .or_else(|| {
                validate::check_password(&password.get_untracked())
                    .err()
                    .map(|_| t!("error-password-short"))
            });
        if let Some(problem) = problem {
            error.set(Some(problem));
            return;
        }
        let Ok(role) = role.get_untracked().parse::<Role>() else {
            return;
        };
        let Some(token) = session.token() else {
            return;
        };
        let request = CreateUserRequest {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role,
            password: password.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::create_user(&token, &request).await;
            busy.set(false);
            match result {
                Ok(user) => {
                    done.set(Some(t!("users-added", name = user.name)));
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    on_added();
                }
                Err(err) => {
                    session.note_api_error(&err).await;
                    error.set(Some(err.user_message()));
                }
            }
        });
    };

    view! {
        <form class="inline-form" on:submit=submit aria-labelledby="add-user-title">
            <h3 id="add-user-title">{t!("users-add-title")}</h3>
            <div class="field">
                <label for="new-user-name">{t!("users-name")}</label>
                <input id="new-user-name" autocomplete="off" bind:value=name />
            </div>
            <div class="field">
                <label for="new-user-email">{t!("users-email")}</label>
                <input id="new-user-email" type="email" autocomplete="off" bind:value=email />
            </div>
            <div class="field">
                <label for="new-user-role">{t!("users-role")}</label>
                <select id="new-user-role" bind:value=role>
                    {Role::ALL
                        .into_iter()
                        .map(|option| view! { <option value=option.as_str()>{t!(role_message_key(option))}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="new-user-password">{t!("users-password")}</label>
                <input id="new-user-password" type="password" autocomplete="new-password" bind:value=password />
            </div>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || done.get().is_some()>
                <p class="form-done" role="status">{move || done.get()}</p>
            </Show>
            <button type="submit" class="primary" disabled=move || busy.get()>{t!("users-add-submit")}</button>
        </form>
    }
}
