//! What `litellm_options!` expands to. Not public API: generated code only.

use crate::LiteLLMOptions;

/// Options the macro has checked.
pub const fn options(
    fallback_models: Option<&'static [&'static str]>,
    num_retries: Option<u32>,
    timeout_secs: Option<f64>,
) -> LiteLLMOptions {
    LiteLLMOptions {
        fallback_models,
        num_retries,
        timeout_secs,
    }
}

/// The placeholder after compile errors (never run: the build fails).
pub const fn invalid_options() -> LiteLLMOptions {
    options(None, None, None)
}
