//! Bounds the password checks (argon2, 19 MiB and tens of milliseconds each) running at once,
//! so a burst of logins cannot take every core and the memory with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a login waits for a free slot before it is told to come back.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct PasswordGate {
    slots: Arc<Semaphore>,
    wait: Duration,
}

/// Every slot stayed taken for the whole wait.
#[derive(Debug, thiserror::Error)]
#[error("every password check slot is busy")]
pub struct Busy;

impl Default for PasswordGate {
    /// Two checks per core, at least two.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PasswordGate::new((2 * cores).max(2), DEFAULT_WAIT)
    }
}

impl PasswordGate {
    pub fn new(slots: usize, wait: Duration) -> Self {
        PasswordGate {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
        }
    }

    /// A slot, held until the permit is dropped; `Busy` after waiting `wait` in vain.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, Busy> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(Busy),
        }
    }
}
