//! [`LiteLLMOptions`]: option literals checked at compile time by
//! [`litellm_options!`](crate::litellm_options).

/// Options written as literals in [`litellm_options!`](crate::litellm_options)
/// and checked at compile time; apply them with
/// [`LiteLLMGateway::options`](crate::LiteLLMGateway::options).
///
/// ```
/// use fastagentic_litellm::{LiteLLMOptions, litellm_options};
///
/// let options: LiteLLMOptions = litellm_options! {
///     fallback_models: ["claude-3-sonnet", "gemini-pro"],
///     num_retries: 2,
///     timeout_secs: 30,
/// };
/// assert_eq!(options.fallback_models(), Some(&["claude-3-sonnet", "gemini-pro"][..]));
/// assert_eq!(options.num_retries(), Some(2));
/// assert_eq!(options.timeout_secs(), Some(30.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LiteLLMOptions {
    pub(crate) fallback_models: Option<&'static [&'static str]>,
    pub(crate) num_retries: Option<u32>,
    pub(crate) timeout_secs: Option<f64>,
}

impl LiteLLMOptions {
    /// The fallback models, if given.
    pub fn fallback_models(&self) -> Option<&'static [&'static str]> {
        self.fallback_models
    }

    /// The retry count, if given.
    pub fn num_retries(&self) -> Option<u32> {
        self.num_retries
    }

    /// The per-call timeout in seconds, if given.
    pub fn timeout_secs(&self) -> Option<f64> {
        self.timeout_secs
    }
}
