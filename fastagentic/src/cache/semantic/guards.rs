//! [`Guards`]: checks, beyond the cosine similarity, that a stored prompt and
//! an incoming one ask the same thing before the stored answer is served.
//!
//! The cosine of two sentence embeddings cannot tell "kilograms to pounds"
//! from "pounds to kilograms": each guard compares one thing both prompts
//! must agree on, and refuses the match when they don't.

use std::fmt;

/// One check a near match must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Guard {
    /// The numbers in both prompts are the same.
    Numbers,
}

impl Guard {
    /// Every guard, in the order they are checked.
    pub const ALL: &'static [Guard] = &[Guard::Numbers];

    /// The guard's name in docs, logs and facts.
    pub fn name(self) -> &'static str {
        match self {
            Guard::Numbers => "numbers",
        }
    }
}

/// Why a near match was refused: the guard that refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardRefusal {
    /// The guard that refused.
    pub guard: Guard,
}

impl fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the prompts disagree on {}", self.guard.name())
    }
}

/// The set of guards a semantic cache applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guards {
    on: Vec<Guard>,
}

impl Default for Guards {
    /// The guards the evaluation keeps on.
    fn default() -> Self {
        Self::all()
    }
}

impl Guards {
    /// Every guard on.
    pub fn all() -> Self {
        Self {
            on: Guard::ALL.to_vec(),
        }
    }

    /// No guard: the cosine alone decides.
    pub fn none() -> Self {
        Self { on: Vec::new() }
    }

    /// These guards and no others.
    pub fn only(guards: &[Guard]) -> Self {
        Self {
            on: guards.to_vec(),
        }
    }

    /// The guards that are on.
    pub fn enabled(&self) -> &[Guard] {
        &self.on
    }

    /// Whether `incoming` may be served the answer stored for `stored`,
    /// as far as the guards can tell (the similarity is checked apart).
    pub fn admits(&self, stored: &str, incoming: &str) -> Result<(), GuardRefusal> {
        for &guard in &self.on {
            let agrees = match guard {
                Guard::Numbers => numbers(stored) == numbers(incoming),
            };
            if !agrees {
                return Err(GuardRefusal { guard });
            }
        }
        Ok(())
    }
}

/// The digit runs of a prompt, in order.
fn numbers(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .collect()
}
