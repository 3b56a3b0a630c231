//! Routing: which target serves a request. Each piece is a [`Strategy`]
//! (crate::gateway::Strategy) that branches, so the route it took is
//! recorded (`targets[i]`) like a fallback's.
//!
//! | piece | one job |
//! |---|---|
//! | [`LoadBalance`] + [`Balance`] | spread requests: weighted random (Portkey's `loadbalance`), least latency (EWMA), least busy (power of two choices); optional failover to the others |
//! | [`Conditional`] + [`Condition`] | pick a target by the request's metadata, parameters or path (Portkey's `conditional`) |

mod conditional;
mod load_balance;

pub use conditional::{Condition, Conditional, RouteQuery};
pub use load_balance::{Balance, LoadBalance};
