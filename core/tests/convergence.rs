//! N in-memory replicas and a model of the server, using core's clock and merge exactly as
//! the app and the server do, receive random edits in random orders with dropped requests,
//! dropped replies, duplicated and stale pushes and clock skew; at the end every replica
//! equals the server, and every field holds the acknowledged write with the highest HLC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use minicrm_core::hlc::{Clock, Hlc, MAX_DRIFT_MS};
use minicrm_core::merge::{Decision, Fields, apply_write, overlay_pending};
use minicrm_core::sync::FieldState;
use proptest::prelude::*;
use serde_json::json;

type RowKey = u8;

#[derive(Clone, Debug)]
struct OutboxEntry {
    seq: u64,
    row: RowKey,
    field: String,
    value: i64,
    hlc: String,
}

struct Server {
    clock: Clock,
    rows: BTreeMap<RowKey, (u64, Fields)>,
    version: u64,
    acked: BTreeMap<usize, u64>,
    /// Every accepted write: (row, field, effective hlc, value).
    accepted: Vec<(RowKey, String, String, i64)>,
}

impl Server {
    fn push(&mut self, client: usize, batch: &[OutboxEntry], now: u64) -> (u64, String) {
        let acked = self.acked.get(&client).copied().unwrap_or(0);
        for change in batch.iter().filter(|c| c.seq > acked) {
            let incoming: Hlc = change.hlc.parse().unwrap();
            let hlc = if incoming.wall_ms > now + MAX_DRIFT_MS {
                self.clock.tick(now)
            } else {
                self.clock.observe(&incoming);
                incoming
            };
            let hlc = hlc.to_string();
            let (version, fields) = self.rows.entry(change.row).or_default();
            let state = FieldState {
                value: json!(change.value),
                hlc: hlc.clone(),
            };
            if apply_write(fields, &change.field, state) == Decision::Wins {
                self.version += 1;
                *version = self.version;
            }
            self.accepted
                .push((change.row, change.field.clone(), hlc, change.value));
        }
        let top = batch.iter().map(|c| c.seq).max().unwrap_or(0).max(acked);
        self.acked.insert(client, top);
        (top, self.clock.tick(now).to_string())
    }

    fn pull(
        &mut self,
        cursor: u64,
        limit: usize,
        now: u64,
    ) -> (Vec<(RowKey, u64, Fields)>, u64, bool, String) {
        let mut rows: Vec<_> = self
            .rows
            .iter()
            .filter(|(_, (version, _))| *version > cursor)
            .map(|(key, (version, fields))| (*key, *version, fields.clone()))
            .collect();
        rows.sort_by_key(|(_, version, _)| *version);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().map_or(cursor, |(_, version, _)| *version);
        (rows, next, more, self.clock.tick(now).to_string())
    }
}

struct Device {
    clock: Clock,
    skew: i64,
    seq: u64,
    outbox: Vec<OutboxEntry>,
    /// Per row: the server's state as last pulled, and the fields with unacked edits.
    rows: BTreeMap<RowKey, (Fields, Fields)>,
    cursor: u64,
}

impl Device {
    fn now(&self, server_now: u64) -> u64 {
        (server_now as i64 + self.skew).max(0) as u64
    }

    fn edit(&mut self, row: RowKey, field: &str, value: i64, server_now: u64) {
        let hlc = self.clock.tick(self.now(server_now)).to_string();
        self.seq += 1;
        let (_, local) = self.rows.entry(row).or_default();
        local.insert(
            field.to_owned(),
            FieldState {
                value: json!(value),
                hlc: hlc.clone(),
            },
        );
        self.outbox.push(OutboxEntry {
            seq: self.seq,
            row,
            field: field.to_owned(),
            value,
            hlc,
        });
    }

    fn ack(&mut self, acked: u64, server_hlc: &str) {
        self.outbox.retain(|e| e.seq > acked);
        let outbox = &self.outbox;
        for (key, (_, local)) in self.rows.iter_mut() {
            local.retain(|field, _| outbox.iter().any(|e| e.row == *key && e.field == *field));
        }
        self.clock.observe(&server_hlc.parse().unwrap());
    }

    fn apply_page(&mut self, rows: Vec<(RowKey, u64, Fields)>, cursor: u64, server_hlc: &str) {
        for (key, _, pulled) in rows {
            for state in pulled.values() {
                self.clock.observe(&state.hlc.parse().unwrap());
            }
            self.rows.entry(key).or_default().0 = pulled;
        }
        self.cursor = cursor;
        self.clock.observe(&server_hlc.parse().unwrap());
    }
}

#[derive(Clone, Debug)]
enum Op {
    Edit {
        device: usize,
        row: RowKey,
        field: u8,
        value: i64,
    },
    Push {
        device: usize,
        lose_request: bool,
        lose_reply: bool,
        max: usize,
    },
    /// A push that the network delivered late: an old prefix of the outbox.
    StalePush {
        device: usize,
        upto: usize,
    },
    Pull {
        device: usize,
        lose_reply: bool,
        limit: usize,
    },
    Time {
        advance_ms: u64,
    },
    Skew {
        device: usize,
        skew_ms: i64,
    },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..devices, 0u8..4, 0u8..3, 0i64..100).prop_map(|(device, row, field, value)| Op::Edit { device, row, field, value }),
        3 => (0..devices, prop::bool::weighted(0.2), prop::bool::weighted(0.3), 1usize..6)
            .prop_map(|(device, lose_request, lose_reply, max)| Op::Push { device, lose_request, lose_reply, max }),
        1 => (0..devices, 0usize..6).prop_map(|(device, upto)| Op::StalePush { device, upto }),
        3 => (0..devices, prop::bool::weighted(0.2), 1usize..4).prop_map(|(device, lose_reply, limit)| Op::Pull { device, lose_reply, limit }),
        1 => (0u64..200_000).prop_map(|advance_ms| Op::Time { advance_ms }),
        1 => (0..devices, -300_000i64..300_000).prop_map(|(device, skew_ms)| Op::Skew { device, skew_ms }),
    ]
}

fn drain(server: &mut Server, devices: &mut [Device], now: u64) {
    for (id, device) in devices.iter_mut().enumerate() {
        while !device.outbox.is_empty() {
            let batch: Vec<_> = device.outbox.iter().take(3).cloned().collect();
            let (acked, hlc) = server.push(id, &batch, now);
            device.ack(acked, &hlc);
        }
    }
    for device in devices.iter_mut() {
        loop {
            let (rows, cursor, more, hlc) = server.pull(device.cursor, 2, now);
            device.apply_page(rows, cursor, &hlc);
            if !more {
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_under_faults(devices_n in 2usize..6, ops in prop::collection::vec(op(5), 1..120)) {
        let mut now = 1_763_800_000_000u64;
        let mut server = Server { clock: Clock::new("server"), rows: BTreeMap::new(), version: 0, acked: BTreeMap::new(), accepted: Vec::new() };
        let mut devices: Vec<Device> = (0..devices_n)
            .map(|i| Device { clock: Clock::new(format!("d{i}")), skew: 0, seq: 0, outbox: Vec::new(), rows: BTreeMap::new(), cursor: 0 })
            .collect();
        for op in ops {
            match op {
                Op::Edit { device, row, field, value } if device < devices_n => {
                    devices[device].edit(row, &format!("f{field}"), value, now);
                }
                Op::Push { device, lose_request, lose_reply, max } if device < devices_n => {
                    let batch: Vec<_> = devices[device].outbox.iter().take(max).cloned().collect();
                    if lose_request { continue; }
                    let (acked, hlc) = server.push(device, &batch, now);
                    if !lose_reply { devices[device].ack(acked, &hlc); }
                }
                Op::StalePush { device, upto } if device < devices_n => {
                    let batch: Vec<_> = devices[device].outbox.iter().take(upto).cloned().collect();
                    let _ = server.push(device, &batch, now);
                }
                Op::Pull { device, lose_reply, limit } if device < devices_n => {
                    let cursor = devices[device].cursor;
                    let (rows, next, _, hlc) = server.pull(cursor, limit, now);
                    if !lose_reply { devices[device].apply_page(rows, next, &hlc); }
                }
                Op::Time { advance_ms } => now += advance_ms,
                Op::Skew { device, skew_ms } if device < devices_n => devices[device].skew = skew_ms,
                _ => {}
            }
        }
        drain(&mut server, &mut devices, now);

        let server_rows: BTreeMap<RowKey, Fields> = server.rows.iter().map(|(k, (_, f))| (*k, f.clone())).collect();
        for (i, device) in devices.iter().enumerate() {
            prop_assert!(device.outbox.is_empty(), "device {} outbox drained", i);
            let shown: BTreeMap<RowKey, Fields> = device
                .rows
                .iter()
                .map(|(k, (base, local))| (*k, overlay_pending(base, local)))
                .collect();
            prop_assert_eq!(&shown, &server_rows, "device {} equals the server", i);
        }
        // Every field holds the accepted write with the highest (effective) HLC.
        let mut best: BTreeMap<(RowKey, String), (String, i64)> = BTreeMap::new();
        for (row, field, hlc, value) in &server.accepted {
            let entry = best.entry((*row, field.clone())).or_insert((hlc.clone(), *value));
            if *hlc > entry.0 { *entry = (hlc.clone(), *value); }
        }
        for ((row, field), (hlc, value)) in best {
            let state = &server_rows[&row][&field];
            prop_assert_eq!(&state.hlc, &hlc);
            prop_assert_eq!(&state.value, &json!(value));
        }
    }
}
