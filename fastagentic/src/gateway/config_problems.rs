//! Collecting every configuration problem of a gateway, reported together.

use super::GatewayError;

/// The configuration problems a gateway's start-up check found, so the user
/// sees all of them at once instead of fixing one per restart.
///
/// ```
/// use fastagentic::gateway::ConfigProblems;
/// let mut problems = ConfigProblems::new("portkey");
/// problems.push("PORTKEY_API_KEY is not set");
/// problems.push("the base URL is not a URL");
/// let error = problems.into_error().unwrap();
/// assert!(error.to_string().contains("2 problems"));
/// ```
#[derive(Debug)]
pub struct ConfigProblems {
    gateway: &'static str,
    problems: Vec<String>,
}

impl ConfigProblems {
    /// No problems yet, for the gateway named `gateway`.
    pub fn new(gateway: &'static str) -> Self {
        Self {
            gateway,
            problems: Vec::new(),
        }
    }

    /// Records a problem (a message that names the fix).
    pub fn push(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// Whether any problem was found.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// One [`GatewayError::Config`] listing every problem, or `None`.
    pub fn into_error(self) -> Option<GatewayError> {
        match self.problems.len() {
            0 => None,
            1 => Some(GatewayError::config(self.gateway, self.problems.concat())),
            n => Some(GatewayError::config(
                self.gateway,
                format!("{n} problems:\n  - {}", self.problems.join("\n  - ")),
            )),
        }
    }
}
