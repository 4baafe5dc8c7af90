//! Passwords: argon2id hashing and checking on the blocking pool, and the slots that bound how
//! many run at once (each takes tens of milliseconds of CPU and 19 MiB on purpose).

use super::random_secret;
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bound on concurrent password hashing: a shared pool of slots (clones share it). A caller
/// that finds every slot taken waits a little, then gives up with [`Busy`] rather than queueing
/// without end, so a flood is answered with 503s while memory and threads stay bounded.
#[derive(Clone)]
pub struct HashSlots {
    slots: Arc<Semaphore>,
    size: usize,
    wait: Duration,
}

/// One running hash's claim on [`HashSlots`]; released when the hash finishes.
pub struct HashSlot {
    _permit: OwnedSemaphorePermit,
}

/// Every hashing slot stayed taken for the whole wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Whole seconds a client should wait before trying again (for `Retry-After`).
    pub retry_after_secs: u64,
}

impl HashSlots {
    /// `size` hashes at once; a caller waits up to `wait` for a slot.
    pub fn new(size: usize, wait: Duration) -> Self {
        HashSlots {
            slots: Arc::new(Semaphore::new(size.max(1))),
            size: size.max(1),
            wait,
        }
    }

    /// Two hashes per core (one hash keeps one core busy; two keep the cores busy while the
    /// other half wait on memory), and a two-second wait.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashSlots::new(2 * cores, Duration::from_secs(2))
    }

    /// A free slot, waiting up to the configured time for one.
    pub async fn acquire(&self) -> Result<HashSlot, Busy> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(HashSlot { _permit: permit }),
            // Timed out (or, never, closed): busy.
            _ => Err(Busy {
                retry_after_secs: self.wait.as_secs().max(1),
            }),
        }
    }
}

impl Default for HashSlots {
    fn default() -> Self {
        HashSlots::for_this_machine()
    }
}

impl std::fmt::Debug for HashSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashSlots")
            .field("size", &self.size)
            .field("free", &self.slots.available_permits())
            .field("wait", &self.wait)
            .finish()
    }
}

/// Hashes a password with argon2id and a fresh salt, in `slot`.
pub async fn hash_password(slot: HashSlot, password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        // The slot moves into the blocking task: it is released when the hash is done, even if
        // the request that asked for it has gone away meanwhile.
        let _slot = slot;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Checks a password against a stored hash, in `slot`. `None` (unknown user) still costs one
/// verification, so response time does not reveal which usernames exist.
///
/// The slot comes back with the answer (`None` only if the check panicked), so that login can
/// hold it until the outcome is counted: a guess then stays in a slot from its last throttle
/// check to its failure being recorded, and a flood cannot slip extra guesses into that gap.
/// If the caller goes away first, the slot is released when the check finishes.
pub async fn verify_password(
    slot: HashSlot,
    password: String,
    stored: Option<String>,
) -> (bool, Option<HashSlot>) {
    // A hash of a random password nobody knows, made once per process.
    static DECOY: OnceLock<String> = OnceLock::new();
    let known = stored.is_some();
    let checked = tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| {
            DECOY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default()
                        .hash_password(random_secret().as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        (ok && known, slot)
    })
    .await;
    match checked {
        Ok((ok, slot)) => (ok, Some(slot)),
        Err(e) => {
            tracing::error!(error = %e, "password check task failed");
            (false, None)
        }
    }
}
