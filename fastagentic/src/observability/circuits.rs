//! Where `fastagentic_circuit_state` comes from: every circuit breaker of
//! every gateway tree the app calls through, wherever it sits (the default
//! gateway, an endpoint's own, a hand-nested tree).

use std::sync::Arc;

use crate::gateway::{LlmGateway, NodeKind, walk};
use crate::reliability::CircuitState;

/// The gateways whose circuits `/metrics` reports.
#[derive(Clone, Default)]
pub(crate) struct CircuitSource(Vec<Arc<dyn LlmGateway>>);

impl CircuitSource {
    /// Also reports the breakers in `gateway`'s tree.
    pub(crate) fn watch(&mut self, gateway: Arc<dyn LlmGateway>) {
        if !self.0.iter().any(|known| Arc::ptr_eq(known, &gateway)) {
            self.0.push(gateway);
        }
    }

    /// Each breaker's target and state now, in tree order, each breaker
    /// once however many endpoints share it.
    pub(crate) fn states(&self) -> Vec<(String, CircuitState)> {
        let mut seen: Vec<*const ()> = Vec::new();
        let mut states = Vec::new();
        for gateway in &self.0 {
            walk(gateway.as_ref(), &mut |_, kind| {
                if let NodeKind::CircuitBreaker(view) = kind {
                    let id = Arc::as_ptr(view.circuit()).cast::<()>();
                    if !seen.contains(&id) {
                        seen.push(id);
                        states.push((view.target().to_owned(), view.state()));
                    }
                }
            });
        }
        states
    }
}
