# miniCRM, English. Every string the user sees comes from here.
# Polish (pl), Czech (cs) and Hungarian (hu) follow with the same keys.

app-name = miniCRM
app-loading = Opening miniCRM…

## Login
login-title = Log in to miniCRM
login-email = E-mail
login-password = Password
login-submit = Log in
login-submitting = Logging in…
login-offline = You are offline. Connect to the network to log in for the first time on this device.
login-needs-setup = This server has no administrator yet. Open the one-time setup link that the server printed when it started.

## First-run setup
setup-title = Create the administrator
setup-intro = This server has no users yet. The account you create here can manage everything, including other users.
setup-name = Your name
setup-email = E-mail
setup-password = Password (at least 8 characters)
setup-submit = Create administrator
setup-no-token = This page needs the one-time setup link that the server printed when it started.
setup-done = This server already has users. Log in instead.
setup-go-login = Go to login

## Shell
nav-label = Main
nav-records = Records
nav-tasks = Tasks
nav-reports = Reports
nav-settings = Settings
nav-trash = Trash
shell-signed-in-as = Signed in as { $name }
shell-role = { $role ->
    [admin] Administrator
    [manager] Manager
    [agent] Agent
   *[restricted] Restricted
}
shell-log-out = Log out
status-online = Online
status-offline = Offline — your work is kept on this device

## Session expired
reauth-title = Your session has expired
reauth-intro = Enter the password of { $email } to continue. Nothing on this device is lost.
reauth-submit = Continue
reauth-log-out-instead = Log out instead

## Updates
update-available = A new version of miniCRM is ready.
update-reload = Reload

## Pages
records-title = Records
records-empty = No records on this device yet.
tasks-title = Tasks
tasks-empty = No tasks on this device yet.
reports-title = Reports
reports-empty = Reports appear here once your team has logged work.
trash-title = Trash
trash-empty = The trash is empty.
not-found-title = Page not found
not-found-back = Back to records

## Settings: users
settings-title = Settings
users-title = Users
users-name = Name
users-email = E-mail
users-role = Role
users-status = Status
users-active = Active
users-inactive = Deactivated
users-actions = Actions
users-deactivate = Deactivate { $name }
users-reactivate = Reactivate { $name }
users-add-title = Add a user
users-password = Password (at least 8 characters)
users-add-submit = Add user
users-added = { $name } can now log in.
users-loading = Loading users…
users-need-network = The list of users needs a connection to the server.
role-admin = Administrator
role-manager = Manager
role-agent = Agent
role-restricted = Restricted

## Errors
error-offline = You are offline. Try again when the connection is back.
error-server = The server could not do this: { $message }
error-unexpected = Something unexpected happened: { $message }
error-email = Enter an e-mail address such as name@example.com.
error-name = Enter a name.
error-password-short = The password must have at least 8 characters.
