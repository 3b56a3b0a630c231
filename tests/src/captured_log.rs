//! A test process's log, captured: one process-wide subscriber, set once.
//! A thread's own subscriber would miss events logged by tasks on other
//! threads (a background batcher, a server's connection tasks) and events
//! whose callsite another test thread registered first. Tests running side
//! by side write to the same log, so each test looks for lines only its own
//! scenario writes (its run id, its message).

use std::sync::{Arc, Mutex, OnceLock};

use tracing::Level;

/// Everything the process logged since the capture began.
#[derive(Clone, Debug, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// The log so far, as text (no colours).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's log, at `level` and above; the first call in a process
/// installs the subscriber (and its level), later calls share it.
///
/// # Panics
/// When something else already set the process's global subscriber.
pub fn capture_log(level: Level) -> CapturedLog {
    static CAPTURED: OnceLock<CapturedLog> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = CapturedLog::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_max_level(level)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other code of this test binary sets a global subscriber");
            captured
        })
        .clone()
}
