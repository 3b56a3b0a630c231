//! The providers an in-process target can call directly: Portkey's slugs of
//! OpenAI and the OpenAI-compatible APIs, with their default base URLs.

/// Portkey slugs of OpenAI-compatible providers and their default base URLs
/// (a target's `custom_host` replaces the URL).
pub const OPENAI_COMPATIBLE: &[(&str, &str)] = &[
    ("openai", "https://api.openai.com/v1"),
    ("groq", "https://api.groq.com/openai/v1"),
    ("mistral-ai", "https://api.mistral.ai/v1"),
    ("together-ai", "https://api.together.xyz/v1"),
    ("deepseek", "https://api.deepseek.com/v1"),
    ("fireworks-ai", "https://api.fireworks.ai/inference/v1"),
    ("openrouter", "https://openrouter.ai/api/v1"),
    ("perplexity-ai", "https://api.perplexity.ai"),
    ("ollama", "http://localhost:11434/v1"),
];

/// Slugs whose APIs are not OpenAI's: they need the provider adapters.
const NEEDS_ADAPTER: &[&str] = &[
    "anthropic",
    "azure-openai",
    "google",
    "vertex-ai",
    "bedrock",
    "cohere",
];

/// The default base URL of `slug`, or why it cannot run in-process.
pub(crate) fn base_url(slug: &str) -> Result<&'static str, String> {
    if let Some((_, url)) = OPENAI_COMPATIBLE.iter().find(|(name, _)| *name == slug) {
        return Ok(url);
    }
    let supported: Vec<&str> = OPENAI_COMPATIBLE.iter().map(|(name, _)| *name).collect();
    if NEEDS_ADAPTER.contains(&slug) {
        return Err(format!(
            "provider `{slug}` cannot run in-process yet: its adapter is not there (it comes \
             with the provider adapters); in-process targets call {}, or run this config on a \
             Portkey gateway",
            supported.join(", ")
        ));
    }
    Err(format!(
        "provider `{slug}` cannot run in-process: in-process targets call {} (any other \
         OpenAI-compatible server: provider `openai` with a `custom_host`)",
        supported.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_compatible_slugs_and_names_the_missing_adapters() {
        assert_eq!(base_url("groq"), Ok("https://api.groq.com/openai/v1"));
        let error = base_url("anthropic").expect_err("no adapter");
        assert!(error.contains("adapter is not there"), "{error}");
        let error = base_url("opneai").expect_err("unknown");
        assert!(error.contains("openai, groq"), "{error}");
    }
}
