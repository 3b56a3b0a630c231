//! Provider slugs the Portkey gateway knows.
//!
//! Fact: `VALID_PROVIDERS` in `src/globals.ts` of Portkey-AI/gateway at tag
//! v1.15.2 (74 slugs; the zod schema in
//! `src/middlewares/requestValidator/schema/config.ts` rejects any other
//! `provider`). Hosted Portkey also takes `@provider-slug`, a provider set up
//! in its Model Catalog; FastAgentic accepts that form as it accepts
//! `virtual_key`.

use crate::suggest::closest;

/// Every provider slug of Portkey gateway 1.15.2, sorted.
pub const PROVIDERS: &[&str] = &[
    "302ai",
    "ai21",
    "aibadgr",
    "anthropic",
    "anyscale",
    "azure-ai",
    "azure-openai",
    "bedrock",
    "bytez",
    "cerebras",
    "cohere",
    "cometapi",
    "cortex",
    "dashscope",
    "deepbricks",
    "deepinfra",
    "deepseek",
    "featherless-ai",
    "fireworks-ai",
    "github",
    "google",
    "groq",
    "huggingface",
    "hyperbolic",
    "inference-net",
    "iointelligence",
    "jina",
    "kluster-ai",
    "krutrim",
    "lambda",
    "lemonfox-ai",
    "lepton",
    "lingyi",
    "matterai",
    "meshy",
    "milvus",
    "mistral-ai",
    "modal",
    "monsterapi",
    "moonshot",
    "ncompass",
    "nebius",
    "nextbit",
    "nomic",
    "novita-ai",
    "nscale",
    "ollama",
    "openai",
    "openrouter",
    "oracle",
    "ovhcloud",
    "palm",
    "perplexity-ai",
    "portkey",
    "predibase",
    "qdrant",
    "recraft-ai",
    "reka-ai",
    "replicate",
    "sagemaker",
    "sambanova",
    "segmind",
    "siliconflow",
    "stability-ai",
    "together-ai",
    "tripo3d",
    "triton",
    "upstage",
    "vertex-ai",
    "voyage",
    "workers-ai",
    "x-ai",
    "z-ai",
    "zhipu",
];

/// How a `provider` value names its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProviderRef<'a> {
    /// A slug from [`PROVIDERS`], e.g. `openai`.
    Slug(&'a str),
    /// A hosted Model Catalog provider, e.g. `@openai-prod` (credentials live in Portkey).
    Catalog,
}

/// Checks a `provider` value: a slug from [`PROVIDERS`] or a hosted
/// `@provider-slug`. The error suggests the closest slug.
///
/// ```
/// use fastagentic_rules::portkey::check_provider;
/// assert!(check_provider("openai").is_ok());
/// assert!(check_provider("@openai-prod").is_ok());
/// assert!(check_provider("opneai").is_err_and(|e| e.ends_with("did you mean `openai`?")));
/// ```
pub fn check_provider(provider: &str) -> Result<(), String> {
    parse_provider(provider).map(|_| ())
}

pub(crate) fn parse_provider(provider: &str) -> Result<ProviderRef<'_>, String> {
    if PROVIDERS.contains(&provider) {
        return Ok(ProviderRef::Slug(provider));
    }
    if let Some(slug) = provider.strip_prefix('@') {
        if !slug.is_empty()
            && slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Ok(ProviderRef::Catalog);
        }
        return Err(format!(
            "provider `{provider}` is not a Model Catalog slug: write `@` followed by the \
             provider's slug (letters, digits, `-`, `_`), e.g. `@openai-prod`"
        ));
    }
    if provider.is_empty() {
        return Err(
            "`provider` is empty: write a Portkey provider slug such as `openai`".to_owned(),
        );
    }
    let lower = provider.trim().to_ascii_lowercase();
    let mut message = format!("unknown provider `{provider}`");
    if lower != provider && PROVIDERS.contains(&lower.as_str()) {
        message.push_str(&format!(
            "; provider slugs are lower-case without spaces: write `{lower}`"
        ));
        return Err(message);
    }
    message.push_str(&format!(
        "; expected a slug of Portkey gateway 1.15.2 ({} known, e.g. openai, anthropic, \
         azure-openai, bedrock, vertex-ai) or a hosted `@provider-slug`",
        PROVIDERS.len()
    ));
    if let Some(suggestion) = closest(provider, PROVIDERS) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_unique_and_complete() {
        assert!(
            PROVIDERS.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted and unique"
        );
        assert_eq!(PROVIDERS.len(), 74);
        for slug in [
            "openai",
            "anthropic",
            "azure-openai",
            "azure-ai",
            "bedrock",
            "vertex-ai",
            "google",
            "ollama",
            "triton",
            "groq",
            "mistral-ai",
            "together-ai",
            "portkey",
            "302ai",
            "ovhcloud",
            "x-ai",
            "sagemaker",
            "workers-ai",
        ] {
            assert!(PROVIDERS.contains(&slug), "{slug}");
        }
    }

    #[test]
    fn accepts_every_slug() {
        for slug in PROVIDERS {
            assert_eq!(parse_provider(slug), Ok(ProviderRef::Slug(slug)));
        }
    }

    #[test]
    fn accepts_model_catalog_slugs() {
        assert_eq!(parse_provider("@openai-prod"), Ok(ProviderRef::Catalog));
        assert_eq!(parse_provider("@my_bedrock-1"), Ok(ProviderRef::Catalog));
        assert!(
            check_provider("@")
                .expect_err("must be rejected")
                .contains("not a Model Catalog slug")
        );
        assert!(check_provider("@open ai").is_err());
    }

    #[test]
    fn rejects_unknown_providers_with_a_suggestion() {
        let error = check_provider("opneai").expect_err("must be rejected");
        assert!(
            error.starts_with(
                "unknown provider `opneai`; expected a slug of Portkey gateway 1.15.2 (74 known"
            ),
            "{error}"
        );
        assert!(error.ends_with("; did you mean `openai`?"), "{error}");
        assert!(
            check_provider("azure_openai")
                .expect_err("must be rejected")
                .ends_with("did you mean `azure-openai`?")
        );
        assert!(
            check_provider("vertexai")
                .expect_err("must be rejected")
                .ends_with("did you mean `vertex-ai`?")
        );
        assert!(
            !check_provider("my-llm-server")
                .expect_err("must be rejected")
                .contains("did you mean")
        );
    }

    #[test]
    fn names_the_lower_case_spelling() {
        assert_eq!(
            check_provider("OpenAI"),
            Err("unknown provider `OpenAI`; provider slugs are lower-case without spaces: write `openai`".to_owned())
        );
        assert!(
            check_provider("")
                .expect_err("must be rejected")
                .starts_with("`provider` is empty")
        );
    }
}
