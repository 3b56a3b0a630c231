//! Where `fastagentic_circuit_state` comes from: the circuit breakers of a
//! [`ReliableGateway`] the app was given.

use std::any::Any;
use std::sync::Arc;

use crate::gateway::LlmGateway;
use crate::reliability::{CircuitState, ReliableGateway};

/// A gateway whose circuits `/metrics` reports.
#[derive(Clone)]
pub(crate) struct CircuitSource(Arc<ReliableGateway>);

impl CircuitSource {
    /// Each target's circuit and its state now, primary first.
    pub(crate) fn states(&self) -> Vec<(String, CircuitState)> {
        self.0.circuit_states()
    }
}

/// Shares `gateway` as [`crate::gateway::shared`] does and, when it is a
/// [`ReliableGateway`] (or an `Arc` of one), keeps a handle on it so its
/// circuits can be reported. Other gateways have no circuits to report.
pub(crate) fn share_watching<G: LlmGateway>(
    gateway: G,
) -> (Arc<dyn LlmGateway>, Option<CircuitSource>) {
    if let Some(reliable) = (&gateway as &dyn Any).downcast_ref::<Arc<ReliableGateway>>() {
        let source = CircuitSource(reliable.clone());
        return (crate::gateway::shared(gateway), Some(source));
    }
    let boxed: Box<dyn Any> = Box::new(gateway);
    match boxed.downcast::<ReliableGateway>() {
        Ok(reliable) => {
            let reliable = Arc::new(*reliable);
            (reliable.clone(), Some(CircuitSource(reliable)))
        }
        Err(other) => match other.downcast::<G>() {
            Ok(gateway) => (crate::gateway::shared(*gateway), None),
            Err(_) => unreachable!("the box holds a G"),
        },
    }
}
