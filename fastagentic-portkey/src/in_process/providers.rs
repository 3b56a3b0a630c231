//! The providers an in-process target can call directly: Portkey's slugs of
//! OpenAI and the OpenAI-compatible APIs, and the slugs served by the native
//! adapters of `fastagentic-providers`, each with Portkey's base URL.

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

/// Portkey slugs whose APIs are not OpenAI's, called in-process through the
/// native adapters of `fastagentic-providers`, with the base URL Portkey
/// gives each. A `custom_host` replaces that base URL, as on the gateway:
///
/// | slug | adapter | base URL (what `custom_host` replaces) | requests go to |
/// |---|---|---|---|
/// | `anthropic` | `AnthropicGateway` | `https://api.anthropic.com/v1` | `{base}/messages` |
/// | `azure-openai` | `AzureOpenAiGateway` | `https://{resource_name}.openai.azure.com/openai` | `{base}/deployments/{deployment_id}/chat/completions?api-version=..` |
/// | `google` | `GeminiGateway` | `https://generativelanguage.googleapis.com` | `{base}/v1beta/openai/chat/completions` (Gemini's OpenAI-compatible endpoint) |
pub const ADAPTED_PROVIDERS: &[(&str, &str)] = &[
    ("anthropic", "https://api.anthropic.com/v1"),
    (
        "azure-openai",
        "https://{resource_name}.openai.azure.com/openai",
    ),
    ("google", "https://generativelanguage.googleapis.com"),
];

/// Slugs whose APIs are not OpenAI's and have no adapter here.
const NOT_ADAPTED: &[&str] = &["vertex-ai", "bedrock", "cohere"];

/// Which kind of transport a slug needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProviderKind {
    /// An OpenAI-compatible API at this default base URL.
    OpenAiCompatible(&'static str),
    /// Anthropic's Messages API.
    Anthropic,
    /// Azure OpenAI deployments.
    AzureOpenAi,
    /// Google Gemini.
    Google,
}

/// The transport `slug` needs, or why it cannot run in-process.
pub(crate) fn kind(slug: &str) -> Result<ProviderKind, String> {
    if let Some((_, url)) = OPENAI_COMPATIBLE.iter().find(|(name, _)| *name == slug) {
        return Ok(ProviderKind::OpenAiCompatible(url));
    }
    match slug {
        "anthropic" => return Ok(ProviderKind::Anthropic),
        "azure-openai" => return Ok(ProviderKind::AzureOpenAi),
        "google" => return Ok(ProviderKind::Google),
        _ => {}
    }
    let supported: Vec<&str> = OPENAI_COMPATIBLE
        .iter()
        .chain(ADAPTED_PROVIDERS)
        .map(|(name, _)| *name)
        .collect();
    if NOT_ADAPTED.contains(&slug) {
        return Err(format!(
            "provider `{slug}` cannot run in-process: its API is not OpenAI's and FastAgentic has \
             no adapter for it; in-process targets call {}, or run this config on a Portkey \
             gateway",
            supported.join(", ")
        ));
    }
    Err(format!(
        "provider `{slug}` cannot run in-process: in-process targets call {} (any other \
         OpenAI-compatible server: provider `openai` with a `custom_host`)",
        supported.join(", ")
    ))
}

/// The base URL an adapter takes, from a Portkey-shaped base URL (a
/// `custom_host` or a virtual key's `base_url`): Anthropic's adapter adds
/// `/v1/messages` and Azure's `/openai/deployments/..`, so Portkey's `/v1`
/// and `/openai` are taken off; Gemini's adapter takes the OpenAI-compatible
/// base, `{root}/v1beta/openai`.
pub(crate) fn adapter_base(kind: ProviderKind, slug: &str, base: &str) -> Result<String, String> {
    let trimmed = base.trim_end_matches('/');
    let strip = |suffix: &str, example: &str, sent: &str| {
        trimmed
            .strip_suffix(suffix)
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "`{base}` is not a base URL of provider `{slug}`: as on Portkey's gateway it \
                     replaces `{example}` and requests go to `{sent}`, so it ends in `{suffix}` \
                     (e.g. `http://127.0.0.1:8080{suffix}`)"
                )
            })
    };
    match kind {
        ProviderKind::OpenAiCompatible(_) => Ok(base.to_owned()),
        ProviderKind::Anthropic => strip(
            "/v1",
            "https://api.anthropic.com/v1",
            "{custom_host}/messages",
        ),
        ProviderKind::AzureOpenAi => strip(
            "/openai",
            "https://{resource_name}.openai.azure.com/openai",
            "{custom_host}/deployments/{deployment_id}/chat/completions",
        ),
        ProviderKind::Google if trimmed.ends_with("/v1beta/openai") => Ok(trimmed.to_owned()),
        ProviderKind::Google => Ok(format!("{trimmed}/v1beta/openai")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_compatible_and_adapted_slugs_and_names_the_rest() {
        assert_eq!(
            kind("groq"),
            Ok(ProviderKind::OpenAiCompatible(
                "https://api.groq.com/openai/v1"
            ))
        );
        assert_eq!(kind("anthropic"), Ok(ProviderKind::Anthropic));
        assert_eq!(kind("azure-openai"), Ok(ProviderKind::AzureOpenAi));
        assert_eq!(kind("google"), Ok(ProviderKind::Google));
        let error = kind("bedrock").expect_err("no adapter");
        assert!(error.contains("no adapter"), "{error}");
        assert!(error.contains("anthropic, azure-openai, google"), "{error}");
        let error = kind("opneai").expect_err("unknown");
        assert!(error.contains("openai, groq"), "{error}");
    }

    #[test]
    fn portkey_base_urls_become_adapter_base_urls() {
        let base = |kind, slug, url| adapter_base(kind, slug, url);
        assert_eq!(
            base(ProviderKind::Anthropic, "anthropic", "http://h:1/v1/"),
            Ok("http://h:1".to_owned())
        );
        assert_eq!(
            base(
                ProviderKind::AzureOpenAi,
                "azure-openai",
                "http://h:1/openai"
            ),
            Ok("http://h:1".to_owned())
        );
        assert_eq!(
            base(ProviderKind::Google, "google", "http://h:1"),
            Ok("http://h:1/v1beta/openai".to_owned())
        );
        assert_eq!(
            base(ProviderKind::Google, "google", "http://h:1/v1beta/openai"),
            Ok("http://h:1/v1beta/openai".to_owned())
        );
        let error = base(ProviderKind::Anthropic, "anthropic", "http://h:1").expect_err("no /v1");
        assert!(error.contains("ends in `/v1`"), "{error}");
    }
}
