//! This device's sync state: its client id, the last seq and HLC it issued, the pull
//! cursor, and whose data it holds.

use minicrm_core::hlc::{Clock, Hlc};
use serde::{Deserialize, Serialize};

/// Stored shape (fields may only be added).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceState {
    /// The device's id on the wire (`client_id`) and its HLC node.
    pub client_id: String,
    /// The last seq given to a change.
    pub seq: u64,
    /// The highest HLC issued or seen.
    pub hlc: Option<String>,
    /// The pull cursor: the server's version of the last row applied.
    pub cursor: u64,
    /// The user whose data the stores hold.
    #[serde(default)]
    pub user_id: Option<String>,
    /// When the last full sync finished (ms since the epoch).
    #[serde(default)]
    pub last_sync_ms: Option<f64>,
    /// Rows with acknowledged edits waiting for a complete pull (see `StoredRow::settling`).
    #[serde(default)]
    pub settling: Vec<(String, String)>,
    /// When the server last acknowledged a push of this device's changes (ms since the
    /// epoch, the device's clock).
    #[serde(default)]
    pub last_ack_ms: Option<f64>,
}

pub const DEVICE_KEY: &str = "device";

impl DeviceState {
    pub fn new() -> DeviceState {
        DeviceState {
            client_id: uuid::Uuid::now_v7().to_string(),
            seq: 0,
            hlc: None,
            cursor: 0,
            user_id: None,
            last_sync_ms: None,
            settling: Vec::new(),
            last_ack_ms: None,
        }
    }

    pub fn clock(&self) -> Clock {
        let last = self
            .hlc
            .as_deref()
            .and_then(|text| text.parse::<Hlc>().ok());
        Clock::resume(self.client_id.clone(), last.as_ref())
    }

    pub fn keep_clock(&mut self, clock: &Clock) {
        self.hlc = Some(clock.last().to_string());
    }

    /// Raises the clock past an HLC seen elsewhere.
    pub fn observe(&mut self, hlc: &str) {
        if let Ok(seen) = hlc.parse::<Hlc>() {
            let mut clock = self.clock();
            clock.observe(&seen);
            self.keep_clock(&clock);
        }
    }
}

impl Default for DeviceState {
    fn default() -> Self {
        DeviceState::new()
    }
}
