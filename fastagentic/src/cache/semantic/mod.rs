//! The semantic cache: a request whose prompt means the same as one seen
//! before is answered from the cache.
//!
//! | piece | one job |
//! |---|---|
//! | [`Guards`] | refuse a near match whose prompt asks something else (numbers, negation, word order, ...) |

mod guards;

pub use guards::{Guard, GuardRefusal, Guards};
