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
login-logged-out = You logged out. Nothing of yours is left on this device.
logout-clear-failed = Your data could not be removed from this device: { $message }. Log in again, or try removing it again.
logout-clear-failed-elsewhere = Logging out in another tab could not remove your data from this device. Try removing it again.
logout-clear-retry = Try removing it again
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
storage-upgrade-waiting = miniCRM is still opening the data kept on this device. If other miniCRM tabs are open, one of them may run the previous version and hold it: close or reload them.
storage-upgrade-asked = Another miniCRM tab is waiting to open the data kept on this device, which this tab may be holding (it may run an older version). Reload this tab once your work is saved.

## Pages
records-title = Records
records-empty = No records on this device yet.
tasks-title = Tasks
reports-title = Reports
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
sync-pending-more = The oldest { $shown } of { $count } changes waiting.
sync-rejected-title = Rejected changes
sync-moved = { $count ->
    [one] 1 change was moved to a merged record — review
   *[other] { $count } changes were moved to a merged record — review
}
sync-moved-reason = The record was merged into { $name } meanwhile: the change was made there instead.
sync-not-moved-reason = The record was merged into { $name } meanwhile; the change was not made there, which has a later value or needs none.
sync-moving-reason = The record was merged into { $name } meanwhile: the change is made there at the next sync.
sync-rejected-intro = The server refused these changes; they are not applied anywhere.
sync-rejected-empty = No change was refused.
sync-rejected-clear = Dismiss all
sync-column-record = Record
sync-column-field = Field
sync-column-value = Value
sync-column-reason = Reason
logout-pending = { $count ->
    [one] 1 change has not reached the server yet. Sync now to send it; logging out removes it from this device.
   *[other] { $count } changes have not reached the server yet. Sync now to send them; logging out removes them from this device.
}
logout-anyway = Log out anyway
logout-stay = Stay logged in
logout-title = Log out?
logout-waiting-title = Changes not sent yet
logout-confirm-title = Lose the unsent changes?
logout-confirm = { $count ->
    [one] 1 change not yet sent will be lost. Everything of yours is removed from this device, and nobody can send it later.
   *[other] { $count } changes not yet sent will be lost. Everything of yours is removed from this device, and nobody can send them later.
}
logout-keep = Keep my changes
logout-lose = { $count ->
    [one] Log out and lose 1 change
   *[other] Log out and lose { $count } changes
}
logout-nothing-waiting = Every change has reached the server. Logging out removes your data from this device.
logout-offline = You are offline: the changes can be sent once the connection is back.
logout-leaving = Logging out…

## Storage health (Sync page, sidebar)
health-title = This device
health-persisted = Persistent storage
health-persisted-yes = Granted: the browser keeps this data even when space runs low
health-persisted-no = Not granted: the browser may delete this data when space runs low
health-persist-ask = Ask the browser to keep it
health-unknown = The browser does not say
health-space = Space used
health-space-used = { $used } of { $quota }
health-waiting = Changes waiting
health-waiting-count = { $count ->
    [0] None
    [one] 1 change
   *[other] { $count } changes
}
health-oldest = Oldest waiting change
health-oldest-age = waiting for { $age } (made { $when })
health-none-waiting = Nothing waits
health-last-ack = Server last acknowledged this device's changes
health-last-ack-at = { $when }
health-last-ack-never = Never
health-rescue = Save a rescue copy
health-rescue-saving = Saving…
health-rescue-intro = If this device cannot sync, a rescue copy keeps every record on it and every change still waiting, as a file you can hand to your administrator.
health-rescue-saved = Saved { $name }.
health-warning-stale = Changes have waited more than 24 hours to sync
health-warning-not-persisted = The browser may delete this device's data
size-b = { $size } B
size-kb = { $size } KB
size-mb = { $size } MB
size-gb = { $size } GB
size-tb = { $size } TB
age-under-minute = less than a minute
age-minutes = { $minutes ->
    [one] 1 min
   *[other] { $minutes } min
}
age-hours = { $hours ->
    [one] 1 hour
   *[other] { $hours } hours
}
age-days = { $days ->
    [one] 1 day
   *[other] { $days } days
}

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
record-history-changed = { $who } changed { $field }: { $old } → { $value }
record-history-pending = Waiting to sync: { $field } → { $value }
record-history-lost = lost to a later change
record-history-replaced = replaced later
record-history-current = current
record-history-older = Show older changes
record-history-loading-older = Loading older changes…
record-restore = Restore { $field }: { $value }
record-unsaved = You have unsaved changes. Leave without saving?
dialog-unsaved = Close without saving what you typed?
field-first_name = first name
field-last_name = last name
field-phones = phone
field-city = city
field-owner_id = owner
field-kind = kind
field-deleted = in trash
value-empty = (empty)
unknown-user = someone

## Records list
records-loading = Opening the records on this device… { $count } read so far.
records-search = Search
records-search-hint = Name, company, e-mail, phone, city, NIP, PESEL, REGON
records-reset = Reset filters
records-more-filters = More filters
records-active-filters = Active filters
records-remove-filter = Remove filter: { $filter }
records-columns = Columns
records-columns-title = Columns
records-columns-hint = Choose the columns and their order. Drag a column's right edge in the list to change its width.
records-column-up = Move { $column } left
records-column-down = Move { $column } right
records-resize = Resize { $column }
records-select-column = Select
records-select-row = Select { $name }
records-select-page = Select shown rows
records-select-all = { $count ->
    [one] Select the record found
   *[other] Select all { $count } found
}
records-selected = { $count ->
    [one] 1 selected
   *[other] { $count } selected
}
records-clear-selection = Clear selection
records-merge = { $count ->
    [one] Merge { $count } record…
   *[other] Merge { $count } records…
}
dialog-done = Done
column-name = Name
column-kind = Type
column-company = Company
column-position = Position
column-phone = Phone
column-email = E-mail
column-city = City
column-postal_code = Postal code
column-address = Address
column-region = Region
column-country = Country
column-stage = Stage
column-owner = Owner
column-category = Category
column-source = Source
column-segments = Segments
column-campaigns = Campaigns
column-nip = NIP
column-pesel = PESEL
column-regon = REGON
column-modified = Last change
kind-person = Person
kind-company = Company
value-yes = Yes
value-no = No

## Filters
filter-any = Any
filter-nobody = Nobody / none
filter-field = Field
filter-op = Condition
filter-value = Value
filter-add = Add filter
filter-choose-field = Choose a field
filter-choose-value = Choose…
filter-enter-value = Enter a value to filter by.
filter-enter-number = Enter a number.
filter-chip = { $field } { $op } { $value }
filter-op-is = is
filter-op-is_not = is not
filter-op-contains = contains
filter-op-empty = is empty
filter-op-not_empty = is filled in
filter-op-from = from
filter-op-until = until
filter-field-segment = Segment
filter-field-campaign = Campaign
filter-field-owner_id = Owner
filter-field-stage_id = Stage
filter-field-category_id = Category
filter-field-kind = Type
filter-field-my_open_task = Records where I have an open task
filter-field-modified = Last change
filter-field-phone = Phone
filter-field-email = E-mail
filter-field-tag = Tag
filter-field-first_name = First name
filter-field-last_name = Last name
filter-field-company = Company
filter-field-position = Position
filter-field-city = City
filter-field-postal_code = Postal code
filter-field-address_line1 = Address
filter-field-region = Region
filter-field-country = Country
filter-field-source = Source
filter-field-nip = NIP
filter-field-pesel = PESEL
filter-field-regon = REGON

## Saved views
views-label = Saved view
views-none = (none)
views-save = Save view
views-update = Update view
views-delete = Delete view
views-name = View name
views-name-required = Give the view a name.
views-shared = Share with the team
views-shared-name = { $name } (shared)

## Bulk actions
bulk-title = Bulk actions
bulk-action = { $count ->
    [one] Action on 1 selected record
   *[other] Action on { $count } selected records
}
bulk-choose-action = Choose an action…
bulk-target = To
bulk-apply = Apply
bulk-choose = Choose an action and what it applies.
bulk-progress = Updating { $done } of { $total } records…
bulk-done = { $count ->
    [one] 1 record updated on this device; it syncs when the network allows.
   *[other] { $count } records updated on this device; they sync when the network allows.
}
bulk-failed = Stopped after { $done } of { $total } records: { $message }
bulk-not-owner = Stopped after { $done } of { $total } records: you are no longer logged in on this device, so nothing more was changed.
bulk-add_segment = Add to segment
bulk-remove_segment = Remove from segment
bulk-add_campaign = Add to campaign
bulk-remove_campaign = Remove from campaign
bulk-set_category = Set category
bulk-set_stage = Set stage
bulk-set_owner = Assign owner
bulk-trash = Move to trash

## Record page
record-in-trash = In the trash
record-trash = Move to trash
record-fix-errors = Some fields need attention; nothing was saved.
record-group-name = Name
record-group-address = Address
record-group-ids = Identifiers
record-group-sales = Sales
record-group-custom = More fields
record-none = (none)
record-none-defined = None defined in the settings yet.
record-no-organization = (no company)
record-people-title = People
record-people-empty = No people linked to this company yet.
record-people-add = Add a person
record-phone-hint = Numbers without a country code are read as { $country } numbers.
record-phone-type = Type
record-phone-number = Phone { $n }
record-phone-add = Add a phone
record-phone-remove = Remove phone { $n }
record-email-n = E-mail { $n }
record-email-add = Add an e-mail
record-email-remove = Remove e-mail { $n }
label-kind = Type
label-first_name = First name
label-last_name = Last name
label-company = Company
label-position = Position
label-organization_id = Works at
label-address_line1 = Address
label-address_line2 = Address (2nd line)
label-postal_code = Postal code
label-city = City
label-region = Region
label-country = Country
label-nip = NIP
label-pesel = PESEL
label-regon = REGON
label-source = Source
label-stage_id = Stage
label-category_id = Category
label-owner_id = Owner
label-managers = Managers
label-tags = Tags (separated by commas)
label-note = Note
label-phones = Phones
label-emails = E-mails
label-segments = Segments
label-campaigns = Campaigns
phone-type-mobile = Mobile
phone-type-landline = Landline
phone-type-work = Work
phone-type-main = Main
phone-type-home_fax = Home fax
phone-type-office_fax = Office fax
phone-type-other = Other
error-required = This field is required.
error-name-required = Enter a name (a person's name, or the company's).
error-too-long = Use at most { $max } characters.
error-email-empty = Enter an e-mail address.
error-phone-empty = Enter a phone number.
error-phone = This is not a phone number.
error-phone-invalid = This number is not valid for its country. Add the country code (+…) if it is foreign.
error-phone-type = Choose the type of the number.
error-nip-length = A NIP has 10 digits.
error-nip-check = This NIP's check digit is wrong — check for a typing mistake.
error-pesel-length = A PESEL has 11 digits.
error-pesel-check = This PESEL's check digit is wrong — check for a typing mistake.
error-pesel-date = This PESEL does not contain a real date of birth.
error-regon-length = A REGON has 9 or 14 digits.
error-regon-check = This REGON's check digit is wrong — check for a typing mistake.
error-id-characters = Use only digits (spaces and dashes are fine).
error-number = Enter a number.
error-date = Enter a date.
error-option = Choose one of the options.

## Trash
trash-hint = Records in the trash can be restored. An administrator can delete them for good.
trash-hint-admin = Records in the trash can be restored, or deleted for good with their tasks and history.
trash-count = { $count ->
    [one] 1 record in the trash
   *[other] { $count } records in the trash
}
trash-when = Last change
trash-actions = Actions
trash-restore = Restore
trash-restore-named = Restore { $name }
trash-restored = Restored.
trash-purge = Delete for good
trash-purge-named = Delete { $name } for good
trash-empty-all = Empty the trash
trash-purge-offline = Deleting for good needs the network; restoring works offline.
trash-confirm-title = Delete for good?
trash-confirm = { $count ->
    [one] This record, its tasks and its history are deleted on every device. This cannot be undone.
   *[other] These { $count } records, their tasks and their history are deleted on every device. This cannot be undone.
}
trash-confirm-yes = Delete for good
trash-purged = { $count ->
    [one] 1 record deleted for good.
   *[other] { $count } records deleted for good.
}
trash-more = …and { $count } more (restore or delete some to see them).

## Identify
identify-title = Identify a caller
identify-nothing = Open this page with ?phone=… or ?email=… to find the record.
identify-unreadable = “{ $value }” is not a phone number or e-mail address.
identify-found = { $count ->
    [one] The record with { $value }:
   *[other] { $count } records have { $value }:
}
identify-none = No record on this device has { $value }.
identify-create = Create a new record with it
identify-attach-title = Or add { $value } to an existing record
identify-search = Find the record
identify-attach-to = Add to { $name }

## Settings catalog
settings-admins-only = Only administrators can change the settings.
settings-tab-general = General
settings-tab-fields = Fields
settings-tab-pipelines = Pipelines
settings-tab-segment = Segments
settings-tab-campaign = Campaigns
settings-tab-category = Categories
settings-tab-source = Sources
settings-tab-outcome = Call outcomes
settings-tab-users = Users
settings-list-segment = Segments
settings-list-campaign = Campaigns
settings-list-category = Categories
settings-list-source = Acquisition sources
settings-list-outcome = Call outcomes
settings-list-module = Pipelines
settings-list-stage = Stages
settings-new-segment = New segment
settings-new-campaign = New campaign
settings-new-category = New category
settings-new-source = New source
settings-new-outcome = New outcome
settings-new-module = New pipeline
settings-new-stage = New stage
settings-add = Add
settings-rename = Name of { $name }
settings-move-up = Move { $name } up
settings-move-down = Move { $name } down
settings-remove = Remove { $name }
settings-name-required = Enter a name.
settings-name-taken = “{ $name }” exists already.
settings-outcome-callback = asks for a callback date
settings-outcome-connected = reached the other side
settings-stages-of = Stages of { $name }
settings-stages-loose = Some stages belong to no pipeline (it was removed); records keep them until changed.
settings-fields-title = Custom fields
settings-fields-hint = Every record gets these fields; they can be filtered and shown as columns like the standard ones.
settings-field-name = Field name
settings-field-type = Type
settings-field-options = Options
settings-field-options-hint = Options (separated by commas)
settings-options-of = Options of { $name }
settings-field-add = Add field
settings-field-name-required = Enter a field name with at least one letter or digit.
settings-field-options-required = A choice field needs at least one option.
field-type-text = Text
field-type-number = Number
field-type-date = Date
field-type-choice = Choice
field-type-multi_choice = Multiple choice
field-type-yes_no = Yes / no
settings-general-title = General
settings-default-country = Default phone country
settings-default-country-hint = Two letters, e.g. PL, CZ, HU. Numbers typed without a country code are read as numbers of this country.
settings-time-zone = Team time zone
settings-time-zone-hint = Reports count days in this zone, whatever zone a device is set to: a call at 23:30 in Warsaw counts for that day.
settings-time-zone-unknown = “{ $zone }” is not a time zone this browser knows.
settings-country-unknown = “{ $code }” is not a country code (use two letters, e.g. PL).
field-segment-named = segment { $name }
field-distinct-named = not a duplicate of { $name }
field-campaign-named = campaign { $name }
field-company = company
field-position = position
field-emails = e-mail
field-address_line1 = address
field-address_line2 = address (2nd line)
field-postal_code = postal code
field-region = region
field-country = country
field-nip = NIP
field-pesel = PESEL
field-regon = REGON
field-note = note
field-stage_id = stage
field-source = source
field-category_id = category
field-organization_id = company
field-managers = managers
field-tags = tags
record-owned-by = Owner: { $name }
record-call = Call { $number }
record-email = E-mail { $email }
filter-field-address_line2 = Address (2nd line)

## Tasks
nav-tasks-overdue = { $count } overdue
nav-tasks-today = { $count } today
tasks-whose = Whose tasks
tasks-whose-mine = Mine
tasks-whose-everyone = Everyone's
tasks-none-open = No open tasks. New ones come from a record, a call to return, or "New task".
tasks-show-more = Show { $count } more (of { $rest } not shown)
tasks-group-overdue = Overdue ({ $count })
tasks-group-today = Due today ({ $count })
tasks-group-later = Later ({ $count })
tasks-group-undated = No due date ({ $count })
task-new = New task
task-done = Done
task-done-named = Done: { $task }
task-described = { $title } — { $record }, { $due }
task-trash = Move to trash
task-trash-named = Move to trash: { $task }
task-undated = no due date
task-assigned-to = for { $name }
task-new-title = New task
task-edit-title = Edit task
task-field-title = Task
task-field-due = Due
task-field-assignee = Assigned to
task-assignee-nobody = Nobody
task-for-record = For { $name }
task-record-search = Find a record
task-field-record = Record
task-record-choose = Type above to find the record
task-record-required = Choose the record this task is for.
task-field-note = Note
task-save = Save task
task-callback-title = Call back
task-reopen = Reopen
task-reopen-named = Reopen: { $title }, done { $when }
task-restore = Restore
task-restore-named = Restore task: { $title }, { $when }
error-date-time = Enter a date and a time.
error-duration = Enter minutes (5), m:ss (3:25) or h:mm:ss.
error-ends-before-start = The end comes before the start.

## Activities
activity-kind-call = Call
activity-kind-email = E-mail
activity-kind-sms = Text message
activity-kind-meeting = Meeting
activity-kind-note = Note
activity-log-title = Log: { $kind }
activity-field-kind = Type
activity-field-direction = Direction
activity-direction-outgoing = Outgoing
activity-direction-incoming = Incoming
activity-field-at = When
activity-field-from = From
activity-field-to = To
activity-field-name = Meeting name
activity-field-user = With (user)
activity-field-ticket = Ticket
activity-field-phone = Phone
activity-field-outcome = Outcome
activity-outcome-none = (none)
activity-field-callback = Call back at
activity-callback-required = This outcome asks when to call back: enter a date and a time.
activity-field-duration = Duration (m:ss)
activity-field-subject = Subject
activity-field-message = Message
activity-field-note = Note
activity-save = Save
record-open-tasks = Open tasks
record-no-open-tasks = No open tasks.
record-log-call = Log a call
record-log-activity = Log an activity
record-history-device = device …{ $device }, reached the server { $received }
timeline-task-done = Task done: { $title }
timeline-task-done-by = Task done: { $title } (by { $who })
timeline-task-trashed = Task in the trash: { $title }
timeline-call = { $direction ->
        [incoming] { $who }: incoming call
       *[other] { $who }: outgoing call
    }
timeline-email = { $direction ->
        [incoming] { $who }: incoming e-mail
       *[other] { $who }: outgoing e-mail
    }
timeline-sms = { $direction ->
        [incoming] { $who }: incoming text message
       *[other] { $who }: outgoing text message
    }
timeline-meeting = { $who }: meeting
timeline-note = { $who }: note
timeline-until = until { $ends }
activity-trash = Move to trash
activity-trash-named = Move to trash: { $what }, { $when }
activity-restore = Restore
activity-restore-named = Restore: { $what }, { $when }
activity-in-trash = in the trash
records-task-overdue = task overdue
records-task-today = task today
records-task-open = open task

## Import history
imports-title = Imports
imports-link = Import history
imports-caption = The team's imports, newest first
imports-empty = No imports yet.
imports-file = File
imports-who = By
imports-started = Started
imports-finished = Finished
imports-status = Status
imports-created = Created
imports-updated = Updated
imports-unchanged = Unchanged
imports-skipped = Skipped
imports-failed = Failed
imports-actions = Actions
imports-status-running = Running
imports-status-done = Done
imports-status-cancelled = Stopped
imports-status-reverted = Reverted
imports-status-unknown = Unknown
imports-revert = Revert
imports-revert-named = Revert the import of { $file }
imports-revert-title = Revert the import of { $file }?
imports-revert-explain = Records this import created go to the trash; fields it overwrote get their previous values back; fields changed since are left as they are and listed.
imports-revert-starting = Looking for the records this import touched…
imports-revert-progress = Reverting: { $done } of { $total } records…
imports-reverted = { $trashed ->
    [one] 1 record moved to the trash
   *[other] { $trashed } records moved to the trash
}, { $restored ->
    [one] 1 record restored
   *[other] { $restored } records restored
}.
imports-kept = { $count ->
    [one] 1 field was changed since the import and is left as it is:
   *[other] { $count } fields were changed since the import and are left as they are:
}
imports-revert-failed = The import was not reverted: { $message }
imports-revert-logged-out = You are no longer logged in on this device.
imports-worker-unexpected = the import worker gave an unexpected answer

## Export
export-button = Export
export-title = Export records
export-what = Records
export-found = { $count ->
    [one] The 1 record found
   *[other] All { $count } records found
}
export-selected = { $count ->
    [one] The 1 selected
   *[other] The { $count } selected
}
export-format = Format
export-format-xlsx = Excel workbook (XLSX)
export-format-csv = CSV
export-columns = Columns
export-columns-shown = Columns shown in the list
export-columns-all = Every field
export-phones = Phones
export-phones-stored = As stored (+48…)
export-phones-shown = As shown
export-delimiter = Delimiter
export-delimiter-semicolon = Semicolon ( ; )
export-delimiter-comma = Comma ( , )
export-delimiter-tab = Tab
export-delimiter-bar = Vertical bar ( | )
export-encoding = Encoding
export-encoding-utf8 = UTF-8 with BOM (Excel)
export-encoding-1250 = Windows-1250 (older programs)
export-raw = Raw values, for re-import (no formula protection)
export-submit = Export
export-busy = Preparing the file…
export-nothing = There are no records to export.
export-failed = The export failed: { $message }
export-unexpected = the import worker gave an unexpected answer
export-file-name = miniCRM records { $date }
export-first-name = First name
export-last-name = Last name
export-address-line2 = Address line 2

# Import (the guided flow: source, reading, mapping, review, writing, result)
import-open = Import
import-title = Import
import-number-locale = en
import-back-to-records = Back to records
import-not-allowed = Only administrators and managers can import records.
import-loading = Opening the import…
import-gone = This import is not on this device (it was discarded, or another user's).
import-start-new = Import another file
import-file = File: { $name }
import-steps = Steps of the import
import-step-reading = Check the reading
import-step-mapping = Map the columns
import-step-review = Review
import-step-writing = Import
import-step-done = Result
import-worker-failed = The import could not go on: { $message }
import-unfinished-title = Unfinished imports
import-unfinished-state = { $step } · started { $when }
import-unfinished-writing = Importing: { $done } of { $total } rows
import-continue = Continue
import-continue-named = Continue importing { $name }
import-discard = Discard
import-discard-named = Discard the import of { $name }
import-discard-writing = This import is being written. Discard it anyway? The rows written so far stay, and the import history shows it as cancelled.
import-source-title = What to import
import-choose-file = Choose a file
import-drop-hint = …or drag and drop it here: CSV, TXT or TSV text, or an XLSX, XLS or ODS spreadsheet.
import-unsupported = “{ $name }” cannot be imported: choose a .csv, .txt, .tsv, .xlsx, .xls or .ods file.
import-paste-label = Paste rows
import-paste-hint = Copy the rows in Excel or Google Sheets (the header row too, if there is one) and paste them here.
import-paste-use = Import the pasted rows
import-paste-empty = Paste the rows first.
import-pasted-name = Pasted rows
import-storing = Keeping the file on this device…
import-history-heading = Earlier imports
import-reading-title = Check how the file reads
import-reading-hint = The first rows as they were read. If letters look wrong or the columns are mixed up, change how the file is read.
import-encoding = Encoding
import-delimiter = Delimiter
import-delimiter-comma = Comma (,)
import-delimiter-semicolon = Semicolon (;)
import-delimiter-tab = Tab
import-delimiter-pipe = Pipe (|)
import-quote = Quote
import-quote-double = Double quote (")
import-quote-single = Single quote (')
import-quote-none = None
import-sheet = Sheet
import-header = First row is a header
import-reading = Reading the file…
import-rows = { $count ->
    [one] 1 row
   *[other] { $shown } rows
}
import-preview = The file's first rows
import-line = Line
import-other-file = Choose another file
import-next-mapping = Next: map the columns
import-back = Back
import-mapping-title = Map the columns
import-mapping-hint = Choose what each column goes into. Columns set to “Don't import” are left out.
import-column = Column
import-samples = Sample values
import-into = Import into
import-map-column = Map column { $name }
import-taken-before = An earlier column goes into this too: only the first one's values are imported.
import-targets-standard = Fields
import-targets-custom = Custom fields
import-targets-phones = Phones
import-targets-other = More
import-target-skip = Don't import
import-target-phone = Phone: { $kind }
import-target-email = E-mail
import-target-tags = Tags
import-target-segments = Segments (names)
import-target-campaigns = Campaigns (names)
import-target-owner = Owner (name or e-mail)
import-target-stage = Stage (name)
import-target-category = Category (name)
import-defaults = Values for every imported row
import-defaults-hint = A column's own value wins; segments, campaigns and tags are added to the row's own.
import-mode = When a row matches a record already here (same phone, e-mail, NIP, PESEL or REGON)
import-mode-create = Create anyway
import-mode-skip = Skip
import-mode-fill_empty = Fill empty fields only
import-mode-overwrite = Overwrite mapped fields
import-next-review = Next: review
import-review-title = Review before importing
import-review-hint = Nothing is written yet. Rows with problems are not imported unless fixed; they are listed in the report.
import-reviewing = Checking every row…
import-never-synced = This device has not synced with the server yet, so the team's records are not on it: rows are checked for duplicates only against the records here. Sync first if the list may hold customers the team already has.
import-review-counts = { $created } to create, { $updated } to update, { $unchanged } unchanged, { $skipped } skipped, { $failed } with problems
import-review-rows = Rows as they will be stored
import-outcome = What happens
import-outcome-create = New record
import-outcome-update = Updates the record
import-outcome-unchanged = Unchanged
import-outcome-skip = Skipped (a duplicate)
import-outcome-fail = Not imported: a problem
import-outcome-left-out = Left out
import-matches = Matches
import-match-by = by { $key }
import-repeats-line = repeats line { $line }
import-leave-out = Leave out
import-leave-out-line = Leave out line { $line }
import-problem-unknown = No such { $thing } in the settings: “{ $value }”.
import-problem-name-required = The row has no name (a person's name or the company's).
import-problem-too-many = Too many values for one record.
import-named-user = user
import-named-stage = stage
import-named-category = category
import-named-segment = segment
import-named-campaign = campaign
import-named-other = name
import-fix = Fix { $column } on line { $line }
import-fix-save = Save
import-review-pages = Pages of the rows
import-review-previous = Previous rows
import-review-next = Next rows
import-review-page = Rows { $from }–{ $to } of { $total }
import-review-more = { $count ->
    [one] …and 1 more row with a problem or a match, not shown here (it is in the report).
   *[other] …and { $shown } more rows with problems or matches, not shown here (they are in the report).
}
import-write = { $count ->
    [one] Import 1 row
   *[other] Import { $shown } rows
}
import-nothing-to-write = No row would be created or updated: change the mapping, fix problems or choose what duplicates do.
import-writing-title = Importing
import-writing-hint = You can leave this page and work elsewhere in the app: the import goes on, and this page shows it again.
import-progress-label = Rows imported
import-progress = { $done } of { $total } rows
import-progress-left = { $progress } · { $left }
import-left-seconds = { $count ->
    [one] about 1 second left
   *[other] about { $count } seconds left
}
import-left-minutes = { $count ->
    [one] about 1 minute left
   *[other] about { $count } minutes left
}
import-preparing = Preparing the rows…
import-elsewhere = { $progress } (written in another tab of this browser)
import-stopping = Stopping after the rows being written…
import-finishing = Finishing…
import-write-failed = The import stopped.
import-cancel = Cancel
import-retry = Try again
import-done-title = Import finished
import-done = The rows are on this device; they sync when the network allows.
import-stopped-title = Import stopped
import-stopped = The import was stopped: the rows written before it stopped are kept.
import-result-created = { $count ->
    [one] 1 record created
   *[other] { $shown } records created
}
import-result-updated = { $count ->
    [one] 1 record updated
   *[other] { $shown } records updated
}
import-result-unchanged = { $count ->
    [one] 1 row matched a record that had every value
   *[other] { $shown } rows matched records that had every value
}
import-result-skipped = { $count ->
    [one] 1 row skipped
   *[other] { $shown } rows skipped
}
import-result-failed = { $count ->
    [one] 1 row not imported (a problem)
   *[other] { $shown } rows not imported (problems)
}
import-download-not-imported = Download the rows that were not imported

## Find duplicates
duplicates-link = Find duplicates
duplicates-title = Duplicates
duplicates-hint = Records that are probably one customer: the same phone, e-mail, NIP, PESEL or REGON, or a similar name in the same company or city. Looked for on this device, among every record you can see.
duplicates-back = Back to the records
duplicates-again = Look again
duplicates-looking = Looking through every record…
duplicates-count = { $groups ->
    [0] No duplicates among { $records } records
    [one] 1 group of probable duplicates among { $records } records
   *[other] { $groups } groups of probable duplicates among { $records } records
}
duplicates-more = { $count ->
    [one] …and 1 more group, with weaker reasons.
   *[other] …and { $count } more groups, with weaker reasons.
}
duplicates-group = Probable duplicates: { $names }
duplicates-same-phone = Same phone { $value }
duplicates-same-email = Same e-mail { $value }
duplicates-same-id = Same { $id } { $value }
duplicates-name-company = Similar name, same company { $company }
duplicates-name-city = Similar name, same city { $city }
duplicates-apart = Not duplicates
duplicates-merge = Merge…
duplicates-pages = Pages of the groups
duplicates-previous = Previous groups
duplicates-next = Next groups
duplicates-page = Groups { $from }–{ $to } of { $total }
duplicates-merge-named = Merge { $names }
duplicates-apart-named = Not duplicates: { $names }
duplicates-apart-done = Marked as not duplicates: they are no longer shown together.
duplicates-apart-forbidden = You may not change these records, so they cannot be marked.
duplicates-failed = Duplicates could not be looked for: { $message }

## Merging records

merge-title = { $count ->
    [one] Merge { $count } record
   *[other] Merge { $count } records
}
merge-cancel = Cancel
merge-hint = The records become one: choose the record that stays and, where they differ, the value it keeps. Phones, e-mails, tags, segments and campaigns are united; tasks, activities and a company's people move to the record that stays. The others go to the trash, marked as merged, and the merge can be undone from the record's timeline.
merge-staying = Record that stays
merge-fields-caption = Where the records differ, choose the value to keep
merge-field = Field
merge-take = Keep { $field } “{ $value }” from { $name }
merge-no-differences = The records do not differ in any field that is chosen.
merge-united = United
merge-memberships = Segments and campaigns
merge-moves = Moving to the record that stays: { $tasks ->
    [one] { $tasks } task
   *[other] { $tasks } tasks
}, { $activities ->
    [one] { $activities } activity
   *[other] { $activities } activities
}, { $people ->
    [one] { $people } person of a company
   *[other] { $people } people of a company
}.
merge-do = { $count ->
    [one] Merge { $count } record
   *[other] Merge { $count } records
}
merge-bad-link = This merge link is not valid.
merge-count = A merge takes from 2 to { $most } records, not { $count }.
merge-missing = Record { $id } is not on this device.
merge-in-trash = { $name } is in the trash or merged already: restore it first.
merge-repeated = A record is named twice.
merge-gone = Record { $id } is in the trash, merged elsewhere or deleted for good.
merge-changed = The records changed meanwhile: check the choices and merge again.
merge-too-many = Together the records have more { $field } than one record may hold.
merge-undone-already = This merge was undone already.
merge-forbidden = You may not merge these records: { $message }
merge-failed = The merge could not be saved: { $message }
record-merged-done = { $count } records were merged into this one. The merge can be undone from the timeline.
record-merged-from = The record you opened was merged into this one.
timeline-merge = { $names } merged into this record by { $who }
timeline-merge-changed = Changed here: { $fields }
timeline-merge-undo = Undo merge
timeline-merge-undo-named = Undo the merge of { $names }
timeline-merge-undone = Undone
timeline-merge-undone-done = The merge was undone: the records are back with their own tasks and activities.
timeline-merge-undone-kept = The merge was undone. Kept because they were changed since the merge: { $fields }
timeline-merged-origin = From { $name }:
merge-stays = { $name } (stays)
merge-stays-badge = stays
record-same-as = This may be the same as:
record-merged-into = This record was merged into { $name }.
record-merged-open = Open { $name }
trash-merged = This record was merged into { $name }: undo the merge from that record's history to bring it back with its tasks and activities.
merge-not-arrived = This device does not hold the whole merge yet: let it sync, then undo.

## Reports
report-day = Day
report-loading = Counting the work on this device…
report-day-choose = Choose the day
report-previous-day = Previous day
report-next-day = Next day
report-today = Today
report-zone = Days in the team's time zone: { $zone }
report-agent = Agent
report-day-caption = Every agent's figures on { $day }
report-total = Total
report-calls-out = Calls out
report-calls-in = Calls in
report-no-outcome = No outcome
report-connected = Connected
report-talk-time = Talk time
report-emails = E-mails
report-sms = SMS
report-meetings = Meetings
report-notes = Notes
report-tasks-done = Tasks done
report-tasks-overdue = Tasks overdue
report-records-created = Records created
report-records-changed = Records changed
report-stage-changes = Stage changes
report-unknown-user = Unknown user
report-server-fresh = Records created, changed and stage changes: from the server, up to date.
report-server-from = Records created, changed and stage changes: from the server, { $ago }; the rest is counted on this device.
report-server-loading = Asking the server for records created, changed and stage changes…
report-server-missing = Records created, changed and stage changes come from the server: connect once to see them.
report-server-missing-error = Records created, changed and stage changes could not be read from the server: { $error }
report-month-caption = { $name }: every day of { $month }
report-month-chart = Calls per day by outcome, { $name }, { $month }
report-month-choose = Choose the month
report-previous-month = Previous month
report-next-month = Next month
report-back-to-day = Back to the team's day
report-own-only = You can see only your own figures.
chart-value = { $label }: { $series } { $value }
chart-day = Day
chart-numbers = Show the numbers
chart-point = { $label }: { $value }
report-tabs = Reports
report-tab-day = Day
report-tab-period = Period
report-period-managers = The period report is for managers and administrators.
report-period-choose = Choose the period
report-preset-this-week = This week
report-preset-last-week = Last week
report-preset-this-month = This month
report-preset-last-month = Last month
report-preset-this-quarter = This quarter
report-preset-last-quarter = Last quarter
report-from = From
report-to = To
report-show = Show
report-period-dates-needed = Choose both dates of the period.
report-period-backwards = The period ends before it starts.
report-period-too-long = A report covers at most { $days } days.
report-period-range = { $from } – { $to }
report-period-caption = Every agent's figures, { $range }
report-period-compared = Compared with the { $days } days before: { $range }.
report-trend-figure = Trend of
report-pipeline-bars = { $name }: records per stage now and entered in the period
report-agent-changes = Each agent against { $range }
report-trend-days = { $figure } per day, { $range }
report-trend-weeks = { $figure } per week, { $range }
report-period-chart-days = The team's calls per day by outcome, { $range }
report-period-chart-weeks = The team's calls per week by outcome (weeks from the day shown), { $range }
report-period-chart-agents = Calls per agent
report-period-file = miniCRM report { $from } to { $to }
report-day-file = miniCRM report { $day }
report-month-file = miniCRM report { $name } { $month }
breakdown-file = miniCRM records by { $by }
report-previous-period = Previous period
report-change = Change
report-change-new = new
report-change-points = { $arrow } { $points } pp
report-tiles = The team's figures against the previous period
report-pipelines = Pipelines
report-pipeline-caption = Pipeline: { $name }
report-pipeline-other = Stages without a pipeline
report-stage = Stage
report-stage-now = Records there now
report-stage-entered = Entered in the period
report-stage-next = Went on to the next stage
report-export = Export the table
report-export-xlsx = Export XLSX
report-export-csv = Export CSV
report-tab-breakdowns = Breakdowns
breakdown-by = Count records by
breakdown-over = Over
breakdown-every-record = Every record
breakdown-by-source = Source
breakdown-by-category = Category
breakdown-by-segment = Segment
breakdown-by-campaign = Campaign
breakdown-by-owner = Owner
breakdown-by-stage = Stage
breakdown-not-set = Not set
breakdown-removed = (removed from the settings)
breakdown-yes = Yes
breakdown-no = No
breakdown-caption = Records by { $by }
breakdown-caption-view = Records by { $by } in the view “{ $view }”
breakdown-records = { $count } records counted (a record with several values counts for each).
breakdown-value = Value
breakdown-count = Records
breakdown-share = Share of the records
