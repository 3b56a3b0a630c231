//! The corpus run: the peers and mocks started once, every request sent
//! three ways per provider, the observations compared.

mod normalize;
mod tally;
mod ways;

use std::path::Path;

use serde_json::Value;

pub use tally::Tally;
use ways::Ways;

/// One corpus request and the provider reply scripted for it.
pub struct Entry {
    /// What the request exercises.
    pub name: String,
    /// The OpenAI-format request, without `model` (each provider's is set).
    pub request: Value,
    /// The scripted reply: `text`, `stream` (chunks), `tool_call`
    /// (`name`, `arguments`) or `error` (`status`, `message`); `usage`.
    pub reply: Value,
}

/// `provider_corpus/requests.json`.
pub struct Corpus {
    /// The requests, in file order.
    pub entries: Vec<Entry>,
}

impl Corpus {
    /// Reads the committed corpus.
    pub fn load() -> Self {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider_corpus/requests.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let list: Vec<Value> = serde_json::from_str(&text).expect("requests.json is a JSON list");
        let entries = list
            .into_iter()
            .map(|item| Entry {
                name: item["name"].as_str().unwrap_or("?").to_owned(),
                request: item["request"].clone(),
                reply: item["reply"].clone(),
            })
            .collect();
        Self { entries }
    }
}

/// A provider the corpus runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Anthropic's Messages API.
    Anthropic,
    /// Azure OpenAI (deployment `gpt-4o`).
    Azure,
    /// Google Gemini.
    Gemini,
}

impl Provider {
    /// Every provider, in table order.
    pub const ALL: [Provider; 3] = [Provider::Anthropic, Provider::Azure, Provider::Gemini];

    /// Its name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Azure => "azure-openai",
            Provider::Gemini => "gemini",
        }
    }

    /// The model every corpus request asks for (Azure: also the deployment).
    pub fn model(self) -> &'static str {
        match self {
            Provider::Anthropic => "claude-sonnet-4-5",
            Provider::Azure => "gpt-4o",
            Provider::Gemini => "gemini-2.5-flash",
        }
    }
}

/// Runs the whole corpus against every provider; one tally per provider.
pub async fn run_corpus(corpus: &Corpus) -> Vec<(Provider, Tally)> {
    let ways = Ways::start().await;
    let mut tallies = Vec::new();
    for provider in Provider::ALL {
        let mut tally = Tally::default();
        for entry in &corpus.entries {
            let seen = ways.observe(provider, entry).await;
            tally.add(&entry.name, provider, &seen);
        }
        tallies.push((provider, tally));
    }
    tallies
}
