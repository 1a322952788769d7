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

## Sync state
sync-syncing = Syncing…
sync-syncing-rows = Syncing… { $rows } rows received
sync-saved-synced = All changes saved · synced { $ago }
sync-saved-never = All changes saved on this device · not synced yet
sync-waiting = { $count ->
    [one] 1 change waiting to sync
   *[other] { $count } changes waiting to sync
}
sync-offline = Offline · { $count ->
    [0] all changes saved on this device
    [one] 1 change waiting
   *[other] { $count } changes waiting
}
sync-refused = { $count ->
    [one] 1 change was refused — review
   *[other] { $count } changes were refused — review
}
sync-failed = Sync failed: { $message }
sync-needs-login = Log in again to sync
ago-now = just now
ago-minutes = { $minutes ->
    [one] 1 min ago
   *[other] { $minutes } min ago
}
ago-hours = { $hours ->
    [one] 1 hour ago
   *[other] { $hours } hours ago
}
sync-title = Sync
sync-now = Sync now
sync-last = Last successful sync: { $when }
sync-never = Not synced yet.
sync-pending-title = Waiting to sync
sync-pending-empty = Every change on this device has reached the server.
sync-rejected-title = Rejected changes
sync-rejected-intro = The server refused these changes; they are not applied anywhere.
sync-rejected-empty = No change was refused.
sync-rejected-clear = Dismiss all
sync-column-record = Record
sync-column-field = Field
sync-column-value = Value
sync-column-reason = Reason
logout-pending = { $count ->
    [one] 1 change has not reached the server yet. If you log out now it is lost.
   *[other] { $count } changes have not reached the server yet. If you log out now they are lost.
}
logout-anyway = Log out anyway
logout-stay = Stay logged in
logout-title = Log out?

## Records
records-new = New record
records-count = { $count ->
    [one] 1 record
   *[other] { $count } records
}
records-column-name = Name
records-column-phone = Phone
records-column-city = City
records-column-owner = Owner
records-pending = not synced yet
record-new-title = New record
record-first-name = First name
record-last-name = Last name
record-phone = Phone
record-city = City
record-owner = Owner
record-owner-nobody = Nobody
record-save = Save
record-cancel = Cancel
record-saved = Saved on this device.
record-not-found = This record is not on this device.
record-unnamed = (no name)
record-edit = Edit
record-details = Details
record-history-title = History
record-history-offline = The history from the server appears when you are online.
record-history-empty = No changes yet.
record-history-set = { $who } set { $field } to { $value }
record-history-pending = Waiting to sync: { $field } → { $value }
record-history-lost = lost to a later change
record-history-replaced = replaced later
record-history-current = current
record-restore = Restore { $value }
record-unsaved = You have unsaved changes. Leave without saving?
field-first_name = first name
field-last_name = last name
field-phones = phone
field-city = city
field-owner_id = owner
field-kind = kind
field-deleted = in trash
value-empty = (empty)
unknown-user = someone
