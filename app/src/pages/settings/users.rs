//! Settings → Users: the team's accounts. Accounts live on the server, so
//! this screen needs the network and says so when there is none.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::Role;
use minicrm_core::api::{CreateUserRequest, UpdateUserRequest, User};

use crate::api::{self, ApiError};
use crate::pages::accounts::{new_account_problem, role_label, role_name};
use crate::pages::forms::{FormDone, FormError, Submit, TextField};
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
                Some(Err(err)) => view! { <FormError error=Some(err.user_message()) /> }.into_any(),
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
        <FormError error=error />
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

#[component]
fn AddUserForm(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent.as_str().to_owned());
    let done = RwSignal::new(None::<String>);

    let submit = Submit::new(
        move |(token, request): (String, CreateUserRequest)| async move {
            match api::create_user(&token, &request).await {
                Ok(user) => {
                    done.set(Some(t!("users-added", name = user.name)));
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    on_added();
                    Ok(())
                }
                Err(err) => {
                    session.note_api_error(&err).await;
                    Err(err.user_message())
                }
            }
        },
    );
    let busy = submit.pending();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(None);
        let (name, email, password) = (
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
        );
        if let Some(problem) = new_account_problem(&name, &email, &password) {
            submit.fail(problem);
            return;
        }
        let Ok(role) = role.get_untracked().parse::<Role>() else {
            return;
        };
        let Some(token) = session.token() else {
            return;
        };
        let request = CreateUserRequest {
            email,
            name,
            role,
            password,
        };
        submit.dispatch((token, request));
    };

    view! {
        <form class="inline-form" on:submit=on_submit aria-labelledby="add-user-title">
            <h3 id="add-user-title">{t!("users-add-title")}</h3>
            <TextField id="new-user-name" label=t!("users-name") autocomplete="off" value=name />
            <TextField id="new-user-email" label=t!("users-email") kind="email" autocomplete="off" value=email />
            <div class="field">
                <label for="new-user-role">{t!("users-role")}</label>
                <select id="new-user-role" bind:value=role>
                    {Role::ALL
                        .into_iter()
                        .map(|option| view! { <option value=option.as_str()>{role_name(option)}</option> })
                        .collect_view()}
                </select>
            </div>
            <TextField id="new-user-password" label=t!("users-password") kind="password" autocomplete="new-password" value=password />
            <FormError error=submit.error() />
            <FormDone message=done />
            <button type="submit" class="primary" disabled=move || busy.get()>{t!("users-add-submit")}</button>
        </form>
    }
}
