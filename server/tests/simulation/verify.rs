//! The end-of-run checks: every device equals the server, and the server's history accounts
//! for every edit any device made, exactly once, with the highest HLC holding each field.

use std::collections::{BTreeMap, BTreeSet};

use minicrm_core::merge::Fields;
use minicrm_core::sync::HistoryEntry;

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
}

/// (1) and (2): no outbox is stuck, and what each device shows is the server's state,
/// field for field, HLC for HLC.
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
        let shown = device.shown();
        for key in shown.keys().chain(server.keys()).collect::<BTreeSet<_>>() {
            match (shown.get(key), server.get(key)) {
                (Some(mine), Some(theirs)) => diff_fields(d, key, mine, theirs, findings),
                (Some(_), None) => {
                    findings.add(format!(
                        "device {d}: shows {key:?}, the server has no such row"
                    ));
                }
                (None, Some(_)) => {
                    findings.add(format!("device {d}: lacks {key:?}, which the server has"));
                }
                (None, None) => {}
            }
        }
    }
}

fn diff_fields(d: usize, key: &RowKey, mine: &Fields, theirs: &Fields, findings: &mut Findings) {
    for field in mine.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (mine.get(field), theirs.get(field));
        if a != b {
            findings.add(format!(
                "device {d}: {key:?}.{field}: device shows {a:?}, server has {b:?}"
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

/// (3): every edit is acknowledged and in its row's history exactly once (value, user,
/// device; its own HLC, or a lower server HLC when the device's clock was too far ahead),
/// and each field holds the value of its history entry with the highest HLC.
pub fn check_history(
    devices: &[Device],
    server: &BTreeMap<RowKey, Fields>,
    histories: &BTreeMap<String, Vec<HistoryEntry>>,
    findings: &mut Findings,
) -> HistoryStats {
    let mut stats = HistoryStats::default();
    let by_client: BTreeMap<&str, &Device> = devices
        .iter()
        .map(|device| (device.client_id.as_str(), device))
        .collect();

    // Every write, as the devices remember making it: (id, field, client) -> edits by seq.
    let mut made: BTreeMap<(&str, &str, &str), Vec<&EditRecord>> = BTreeMap::new();
    for device in devices {
        for edit in &device.log {
            stats.edits += 1;
            if edit.seq > device.acked_seq {
                findings.add(format!(
                    "device {}: edit seq {} was never acknowledged (acked up to {})",
                    device.index, edit.seq, device.acked_seq
                ));
            }
            made.entry((&edit.id, &edit.field, &device.client_id))
                .or_default()
                .push(edit);
        }
    }

    // Every write, as the server's history records it.
    let mut recorded: BTreeMap<(&str, &str, &str), Vec<&HistoryEntry>> = BTreeMap::new();
    for (id, entries) in histories {
        for pair in entries.windows(2) {
            if pair[0].hlc >= pair[1].hlc {
                findings.add(format!(
                    "history of {id}: not in strictly ascending HLC order: {} then {} \
                     (an equal HLC means one write recorded twice)",
                    pair[0].hlc, pair[1].hlc
                ));
            }
        }
        for entry in entries {
            let Some(client) = entry.client_id.as_deref() else {
                findings.add(format!(
                    "history of {id}: entry without client_id: {entry:?}"
                ));
                continue;
            };
            match by_client.get(client) {
                Some(device) if device.user_id == entry.user_id => {}
                Some(device) => findings.add(format!(
                    "history of {id}: write of device {} attributed to user {} instead of {}",
                    device.index, entry.user_id, device.user_id
                )),
                None => findings.add(format!(
                    "history of {id}: write from unknown client {client}: {entry:?}"
                )),
            }
            recorded
                .entry((id, &entry.field, client))
                .or_default()
                .push(entry);
        }
    }

    let keys: BTreeSet<_> = made.keys().chain(recorded.keys()).copied().collect();
    for key @ (id, field, client) in keys {
        let Some(device) = by_client.get(client) else {
            continue;
        };
        let edits = made.get(&key).map_or(&[][..], Vec::as_slice);
        let entries = recorded.get(&key).map_or(&[][..], Vec::as_slice);
        if edits.len() != entries.len() {
            findings.add(format!(
                "contact {id}.{field} by device {}: {} edits made, {} in history \
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
                    "contact {id}.{field} by device {} seq {}: wrote {}, history has {}",
                    device.index, edit.seq, edit.value, entry.value
                ));
            }
            let restamped = entry.hlc != edit.hlc;
            if device.is_far_ahead() {
                // Its clock is minutes ahead: the server must stamp the write itself.
                if !restamped || !entry.hlc.ends_with("-server") || entry.hlc >= edit.hlc {
                    findings.add(format!(
                        "contact {id}.{field} by device {} (clock {} s ahead) seq {}: \
                         sent HLC {}, history has {} (expected a lower server HLC)",
                        device.index,
                        device.skew_ms / 1000,
                        edit.seq,
                        edit.hlc,
                        entry.hlc
                    ));
                }
            } else if restamped {
                findings.add(format!(
                    "contact {id}.{field} by device {} (clock {} ms off) seq {}: \
                     sent HLC {}, history has {} (restamped though within 60 s)",
                    device.index, device.skew_ms, edit.seq, edit.hlc, entry.hlc
                ));
            }
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
    for (id, entries) in histories {
        let key = ("contact".to_owned(), id.clone());
        let row = server.get(&key);
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
                    "contact {id}.{field}: server holds {stored:?}, but the history's highest \
                     write is {} at {}",
                    top.value, top.hlc
                ));
            }
            if !top.won {
                findings.add(format!(
                    "contact {id}.{field}: the highest write {} ({}) is marked won=false",
                    top.hlc, top.value
                ));
            }
        }
        stats.overwritten += entries.len().saturating_sub(best.len());
        if let Some(fields) = row {
            for field in fields.keys() {
                if !best.contains_key(field.as_str()) {
                    findings.add(format!(
                        "contact {id}.{field}: stored, but no write of it in history"
                    ));
                }
            }
        }
    }
    for (key, _) in server.iter().filter(|(key, _)| key.0 == "contact") {
        if !histories.contains_key(&key.1) {
            findings.add(format!("{key:?}: on the server, history not checked"));
        }
    }
    stats
}
