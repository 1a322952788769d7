//! The end-of-run checks: each device holds exactly the rows its user may see, with the
//! server's values; the server's history accounts for every edit any device made, exactly
//! once (a restricted user's refused edits not at all), with the highest HLC holding each
//! field; and the kills happened and lost nothing that was acknowledged.

use std::collections::{BTreeMap, BTreeSet};

use minicrm_core::merge::Fields;
use minicrm_core::sync::HistoryEntry;
use serde_json::Value;

use super::device::{Device, EditRecord, RowKey};

/// Stops a long list of findings from burying the first ones.
const MAX_FINDINGS: usize = 40;

#[derive(Default)]
pub struct Findings {
    pub list: Vec<String>,
    pub omitted: usize,
}

impl Findings {
    pub fn add(&mut self, finding: String) {
        if self.list.len() < MAX_FINDINGS {
            self.list.push(finding);
        } else {
            self.omitted += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds `other`'s findings after these.
    pub fn absorb(&mut self, other: Findings) {
        for finding in other.list {
            self.add(finding);
        }
        self.omitted += other.omitted;
    }
}

/// Every row's history, by (entity, id).
pub type Histories = BTreeMap<RowKey, Vec<HistoryEntry>>;

/// Whether a restricted user sees a contact owned by `owner` (a missing field is nobody).
fn owner_admits(owner: Option<&Value>, user_id: &str) -> bool {
    match owner {
        None | Some(Value::Null) => true,
        Some(Value::String(owner)) => owner == user_id,
        Some(_) => false,
    }
}

/// The contact a task (or activity) belongs to, in `state`.
fn record_of<'a>(key: &RowKey, state: &'a BTreeMap<RowKey, Fields>) -> Option<&'a str> {
    state.get(key)?.get("record_id")?.value.as_str()
}

/// PROTOCOL.md, "Who sees and writes what", applied to the server's final state: a restricted
/// user sees the contacts owned by them or by nobody and exactly those contacts' tasks;
/// everyone else sees every row. The user directory is everyone's.
pub fn may_see(
    user_id: &str,
    restricted: bool,
    key: &RowKey,
    state: &BTreeMap<RowKey, Fields>,
) -> bool {
    if !restricted {
        return true;
    }
    let contact_admits = |id: &str| {
        let contact = state.get(&("contact".to_owned(), id.to_owned()));
        owner_admits(
            contact.and_then(|fields| fields.get("owner_id").map(|f| &f.value)),
            user_id,
        )
    };
    match key.0.as_str() {
        "contact" => contact_admits(&key.1),
        "task" | "activity" => record_of(key, state).is_none_or(contact_admits),
        _ => true,
    }
}

/// The rows of `state` that a user may see.
fn visible_part<'a>(
    user_id: &str,
    restricted: bool,
    state: &'a BTreeMap<RowKey, Fields>,
) -> BTreeMap<&'a RowKey, &'a Fields> {
    state
        .iter()
        .filter(|(key, _)| may_see(user_id, restricted, key, state))
        .collect()
}

/// Compares what `who` holds with the part of the server's state its user may see.
fn compare_rows(
    who: &str,
    held: &BTreeMap<RowKey, Fields>,
    expected: &BTreeMap<&RowKey, &Fields>,
    state: &BTreeMap<RowKey, Fields>,
    findings: &mut Findings,
) {
    let keys: BTreeSet<&RowKey> = held.keys().chain(expected.keys().copied()).collect();
    for key in keys {
        match (held.get(key), expected.get(key)) {
            (Some(mine), Some(theirs)) => diff_fields(who, key, mine, theirs, findings),
            (Some(_), None) if state.contains_key(key) => findings.add(format!(
                "{who}: holds {key:?}, which its user may not see (owner {:?})",
                owner_of(key, state)
            )),
            (Some(_), None) => {
                findings.add(format!("{who}: holds {key:?}, the server has no such row"));
            }
            (None, Some(_)) => findings.add(format!(
                "{who}: lacks {key:?}, which its user may see (owner {:?})",
                owner_of(key, state)
            )),
            (None, None) => {}
        }
    }
}

/// A row's owner in `state` as the scope sees it: the contact's, or the task's contact's.
fn owner_of(key: &RowKey, state: &BTreeMap<RowKey, Fields>) -> Option<Value> {
    let contact = match key.0.as_str() {
        "contact" => key.1.clone(),
        _ => record_of(key, state)?.to_owned(),
    };
    state
        .get(&("contact".to_owned(), contact))?
        .get("owner_id")
        .map(|f| f.value.clone())
}

/// The server itself: a fresh pull from cursor 0 by each user gives exactly the rows that
/// user may see, with the values of the admin's pull.
pub fn check_scopes(
    devices: &[Device],
    state: &BTreeMap<RowKey, Fields>,
    fresh: &BTreeMap<String, BTreeMap<RowKey, Fields>>,
    findings: &mut Findings,
) {
    let users: BTreeMap<&str, bool> = devices
        .iter()
        .map(|d| (d.user_id.as_str(), d.restricted))
        .collect();
    let mut restricted_rows = 0;
    for (user_id, rows) in fresh {
        let Some(&restricted) = users.get(user_id.as_str()) else {
            findings.add(format!("user {user_id} has no device"));
            continue;
        };
        let expected = visible_part(user_id, restricted, state);
        if restricted {
            restricted_rows += expected
                .keys()
                .filter(|(entity, _)| entity == "contact" || entity == "task")
                .count();
        }
        let who = format!(
            "a fresh pull of user {user_id}{}",
            if restricted { " (restricted)" } else { "" }
        );
        compare_rows(&who, rows, &expected, state, findings);
    }
    if restricted_rows == 0 {
        findings.add(
            "the restricted user may see no contact and no task at the end: its scope went \
             untested"
                .to_owned(),
        );
    }
}

/// (1) and (2): no outbox is stuck, and each device holds exactly the rows its user may
/// see, field for field, HLC for HLC as the server has them.
pub fn check_convergence(
    devices: &[Device],
    server: &BTreeMap<RowKey, Fields>,
    findings: &mut Findings,
) {
    for device in devices {
        let d = device.index;
        if !device.outbox.is_empty() {
            findings.add(format!(
                "device {d}: outbox stuck with {} changes (first seq {}, server acked {})",
                device.outbox.len(),
                device.outbox[0].seq,
                device.acked_seq
            ));
        }
        for (key, (_, local)) in &device.rows {
            if !local.is_empty() {
                findings.add(format!(
                    "device {d}: {key:?} still has pending fields {:?}",
                    local.keys().collect::<Vec<_>>()
                ));
            }
        }
        let expected = visible_part(&device.user_id, device.restricted, server);
        let who = format!(
            "device {d}{}",
            if device.restricted {
                " (restricted)"
            } else {
                ""
            }
        );
        compare_rows(&who, &device.shown(), &expected, server, findings);
    }
}

fn diff_fields(who: &str, key: &RowKey, mine: &Fields, theirs: &Fields, findings: &mut Findings) {
    for field in mine.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (mine.get(field), theirs.get(field));
        if a != b {
            findings.add(format!(
                "{who}: {key:?}.{field}: holds {a:?}, server has {b:?}"
            ));
        }
    }
}

#[derive(Debug, Default)]
pub struct HistoryStats {
    pub edits: usize,
    pub restamped: usize,
    pub overwritten: usize,
    pub lost_on_arrival: usize,
}

/// Each edit found in the history: (device index, seq) -> the HLC the history has for it.
pub type Matched = BTreeMap<(usize, u64), String>;

/// Whether the user could have been refused a write to `key` because it had left their
/// scope: the contact (a task's contact) was at some time assigned to someone else, by a
/// write that won when it arrived.
fn ever_out_of_scope(
    user_id: &str,
    key: &RowKey,
    state: &BTreeMap<RowKey, Fields>,
    histories: &Histories,
) -> bool {
    let contact = match key.0.as_str() {
        "contact" => Some(key.1.clone()),
        _ => record_of(key, state).map(str::to_owned),
    };
    let Some(contact) = contact else {
        return false;
    };
    histories
        .get(&("contact".to_owned(), contact))
        .is_some_and(|entries| {
            entries.iter().any(|entry| {
                entry.field == "owner_id" && entry.won && !owner_admits(Some(&entry.value), user_id)
            })
        })
}

/// (3): every edit is acknowledged and in its row's history exactly once (value, user,
/// device; its own HLC, or a lower server HLC when the device's clock was too far ahead),
/// and each field holds the value of its history entry with the highest HLC. A restricted
/// user's edit may be missing, refused, only where the row had left their scope.
pub fn check_history(
    devices: &[Device],
    server: &BTreeMap<RowKey, Fields>,
    histories: &Histories,
    findings: &mut Findings,
) -> (HistoryStats, Matched) {
    let mut stats = HistoryStats::default();
    let mut matched = Matched::new();
    let by_client: BTreeMap<&str, &Device> = devices
        .iter()
        .map(|device| (device.client_id.as_str(), device))
        .collect();

    // Every write, as the devices remember making it:
    // (entity, id, field, client) -> edits by seq.
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut made: BTreeMap<Key<'_>, Vec<&EditRecord>> = BTreeMap::new();
    for device in devices {
        for edit in &device.log {
            stats.edits += 1;
            if edit.seq > device.acked_seq {
                findings.add(format!(
                    "device {}: edit seq {} was never acknowledged (acked up to {})",
                    device.index, edit.seq, device.acked_seq
                ));
            }
            made.entry((&edit.entity, &edit.id, &edit.field, &device.client_id))
                .or_default()
                .push(edit);
        }
    }

    // Every write, as the server's history records it.
    let mut recorded: BTreeMap<Key<'_>, Vec<&HistoryEntry>> = BTreeMap::new();
    for ((entity, id), entries) in histories {
        for pair in entries.windows(2) {
            if pair[0].hlc >= pair[1].hlc {
                findings.add(format!(
                    "history of {entity} {id}: not in strictly ascending HLC order: {} then {} \
                     (an equal HLC means one write recorded twice)",
                    pair[0].hlc, pair[1].hlc
                ));
            }
        }
        for entry in entries {
            let Some(client) = entry.client_id.as_deref() else {
                findings.add(format!(
                    "history of {entity} {id}: entry without client_id: {entry:?}"
                ));
                continue;
            };
            match by_client.get(client) {
                Some(device) if device.user_id == entry.user_id => {}
                Some(device) => findings.add(format!(
                    "history of {entity} {id}: write of device {} attributed to user {} instead \
                     of {}",
                    device.index, entry.user_id, device.user_id
                )),
                None => findings.add(format!(
                    "history of {entity} {id}: write from unknown client {client}: {entry:?}"
                )),
            }
            recorded
                .entry((entity, id, &entry.field, client))
                .or_default()
                .push(entry);
        }
    }

    let keys: BTreeSet<_> = made.keys().chain(recorded.keys()).copied().collect();
    for key @ (entity, id, field, client) in keys {
        let Some(device) = by_client.get(client) else {
            continue;
        };
        let edits = made.get(&key).map_or(&[][..], Vec::as_slice);
        let entries = recorded.get(&key).map_or(&[][..], Vec::as_slice);
        if device.restricted {
            match_restricted(
                device,
                (entity, id, field),
                edits,
                entries,
                server,
                histories,
                &mut matched,
                findings,
            );
            continue;
        }
        if edits.len() != entries.len() {
            findings.add(format!(
                "{entity} {id}.{field} by device {}: {} edits made, {} in history \
                 (made: {:?}; recorded: {:?})",
                device.index,
                edits.len(),
                entries.len(),
                edits
                    .iter()
                    .map(|e| (e.seq, &e.value, &e.hlc))
                    .collect::<Vec<_>>(),
                entries
                    .iter()
                    .map(|e| (&e.value, &e.hlc))
                    .collect::<Vec<_>>(),
            ));
            continue;
        }
        // A device's writes of one field reach the server in seq order and get increasing
        // HLCs (its own, or the server's), so the history lists them in the same order.
        for (edit, entry) in edits.iter().zip(entries) {
            if entry.value != edit.value {
                findings.add(format!(
                    "{entity} {id}.{field} by device {} seq {}: wrote {}, history has {}",
                    device.index, edit.seq, edit.value, entry.value
                ));
                continue;
            }
            let restamped = entry.hlc != edit.hlc;
            if device.is_far_ahead() {
                // Its clock is minutes ahead: the server must stamp the write itself.
                if !restamped || !entry.hlc.ends_with("-server") || entry.hlc >= edit.hlc {
                    findings.add(format!(
                        "{entity} {id}.{field} by device {} (clock {} s ahead) seq {}: \
                         sent HLC {}, history has {} (expected a lower server HLC)",
                        device.index,
                        device.skew_ms / 1000,
                        edit.seq,
                        edit.hlc,
                        entry.hlc
                    ));
                    continue;
                }
            } else if restamped {
                findings.add(format!(
                    "{entity} {id}.{field} by device {} (clock {} ms off) seq {}: \
                     sent HLC {}, history has {} (restamped though within 60 s)",
                    device.index, device.skew_ms, edit.seq, edit.hlc, entry.hlc
                ));
                continue;
            }
            matched.insert((device.index, edit.seq), entry.hlc.clone());
            if restamped {
                stats.restamped += 1;
            }
            if !entry.won {
                stats.lost_on_arrival += 1;
            }
        }
    }

    // Each field holds its history's highest write; that write won when it arrived. With
    // every edit matched to one entry above, this also says: each acknowledged edit is
    // either the field's value or was overwritten by a write with a higher HLC.
    for (key, entries) in histories {
        let (entity, id) = key;
        let row = server.get(key);
        let mut best: BTreeMap<&str, &HistoryEntry> = BTreeMap::new();
        for entry in entries {
            let slot = best.entry(&entry.field).or_insert(entry);
            if entry.hlc > slot.hlc {
                *slot = entry;
            }
        }
        for (field, top) in &best {
            let stored = row.and_then(|fields| fields.get(*field));
            let expected = (Some(&top.value), Some(&top.hlc));
            if (stored.map(|s| &s.value), stored.map(|s| &s.hlc)) != expected {
                findings.add(format!(
                    "{entity} {id}.{field}: server holds {stored:?}, but the history's highest \
                     write is {} at {}",
                    top.value, top.hlc
                ));
            }
            if !top.won {
                findings.add(format!(
                    "{entity} {id}.{field}: the highest write {} ({}) is marked won=false",
                    top.hlc, top.value
                ));
            }
        }
        stats.overwritten += entries.len().saturating_sub(best.len());
        if let Some(fields) = row {
            for field in fields.keys() {
                if !best.contains_key(field.as_str()) {
                    findings.add(format!(
                        "{entity} {id}.{field}: stored, but no write of it in history"
                    ));
                }
            }
        }
    }
    for key in server
        .keys()
        .filter(|(entity, _)| entity == "contact" || entity == "task")
    {
        if !histories.contains_key(key) {
            findings.add(format!("{key:?}: on the server, history not checked"));
        }
    }
    (stats, matched)
}

/// A restricted user's writes of one field from one device: the history holds a part of
/// them, in order, each with its own HLC; every edit left out was refused, which it may be
/// only where the row had left the user's scope at some time. An edit the device was told
/// was refused is not in the history.
#[allow(clippy::too_many_arguments)]
fn match_restricted(
    device: &Device,
    (entity, id, field): (&str, &str, &str),
    edits: &[&EditRecord],
    entries: &[&HistoryEntry],
    server: &BTreeMap<RowKey, Fields>,
    histories: &Histories,
    matched: &mut Matched,
    findings: &mut Findings,
) {
    let key = (entity.to_owned(), id.to_owned());
    let may_be_refused = ever_out_of_scope(&device.user_id, &key, server, histories);
    let mut edits = edits.iter();
    for entry in entries {
        // The edits before the one this entry records were refused.
        let mut found = None;
        for edit in edits.by_ref() {
            if edit.hlc == entry.hlc && edit.value == entry.value {
                found = Some(edit);
                break;
            }
            refused_edit(device, (entity, id, field), edit, may_be_refused, findings);
        }
        match found {
            Some(edit) => {
                if device.refused.contains(&edit.seq) {
                    findings.add(format!(
                        "{entity} {id}.{field} by device {} seq {}: refused in the push reply, \
                         yet in history as {:?}",
                        device.index, edit.seq, entry
                    ));
                }
                matched.insert((device.index, edit.seq), entry.hlc.clone());
            }
            None => findings.add(format!(
                "{entity} {id}.{field} by device {} (restricted): history has {} at {}, which \
                 matches no edit of the device (or not in order)",
                device.index, entry.value, entry.hlc
            )),
        }
    }
    for edit in edits {
        refused_edit(device, (entity, id, field), edit, may_be_refused, findings);
    }
}

fn refused_edit(
    device: &Device,
    (entity, id, field): (&str, &str, &str),
    edit: &EditRecord,
    may_be_refused: bool,
    findings: &mut Findings,
) {
    if !may_be_refused {
        findings.add(format!(
            "{entity} {id}.{field} by device {} (restricted) seq {}: not in history, yet the \
             row never left the user's scope (wrote {} at {}; {})",
            device.index,
            edit.seq,
            edit.value,
            edit.hlc,
            if device.refused.contains(&edit.seq) {
                "refused as forbidden"
            } else {
                "no refusal seen"
            }
        ));
    }
}

/// What the run did to the server, for [`check_kills`].
pub struct KillChecks<'a> {
    pub kills: u32,
    pub starts: u32,
    pub kills_after_ack: u64,
    /// (device index, seq) of the edits acknowledged in the steps the server was killed in.
    pub acked_in_kill_steps: &'a [(usize, u64)],
}

/// (4): the run killed the server (at least once right after a 200 to a push) and started it
/// again after each kill; every edit acknowledged in a kill step is in the history and in
/// the final state (the field's value, or overwritten by a write with a higher HLC).
pub fn check_kills(
    checks: &KillChecks<'_>,
    devices: &[Device],
    server: &BTreeMap<RowKey, Fields>,
    matched: &Matched,
    findings: &mut Findings,
) {
    if checks.kills == 0 {
        findings.add("the server was never killed: this run tested no crash".to_owned());
    }
    if checks.starts != checks.kills + 1 {
        findings.add(format!(
            "the server was started {} times for {} kills: each kill must be followed by a \
             restart",
            checks.starts, checks.kills
        ));
    }
    if checks.kills_after_ack == 0 {
        findings.add(
            "no kill came right after a push was answered 200: durability went untested".to_owned(),
        );
    }
    let mut checked = 0;
    for &(index, seq) in checks.acked_in_kill_steps {
        let device = &devices[index];
        let Some(edit) = device.log.iter().find(|edit| edit.seq == seq) else {
            findings.add(format!(
                "device {index}: seq {seq} acknowledged in a kill step was never made"
            ));
            continue;
        };
        let Some(hlc) = matched.get(&(index, seq)) else {
            if !device.restricted {
                findings.add(format!(
                    "device {index} seq {seq} ({} {}.{} = {}): acknowledged before the server \
                     was killed, missing from the history",
                    edit.entity, edit.id, edit.field, edit.value
                ));
            }
            // A restricted user's refused edit: check_history judged it.
            continue;
        };
        checked += 1;
        let stored = server
            .get(&(edit.entity.clone(), edit.id.clone()))
            .and_then(|fields| fields.get(&edit.field));
        let kept = stored.is_some_and(|stored| {
            stored.hlc > *hlc || (stored.hlc == *hlc && stored.value == edit.value)
        });
        if !kept {
            findings.add(format!(
                "device {index} seq {seq} ({} {}.{} = {} at {hlc}): acknowledged before the \
                 server was killed, but the final state holds {stored:?}",
                edit.entity, edit.id, edit.field, edit.value
            ));
        }
    }
    if checked == 0 {
        findings.add(
            "no edit acknowledged in a kill step was found in the history: durability went \
             untested"
                .to_owned(),
        );
    }
}
