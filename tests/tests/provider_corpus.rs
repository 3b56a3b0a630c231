//! The translation corpus: every OpenAI-format request of
//! `provider_corpus/requests.json` is sent three ways to a recording mock of
//! each provider (Anthropic, Azure OpenAI, Gemini): through the real Portkey
//! gateway, through the real LiteLLM proxy, and through our adapters. The
//! provider-side requests and the OpenAI-format answers (streams assembled)
//! are flattened to `path = value` fields and compared; for each provider at
//! least 95% of the compared fields must agree with at least one of the two
//! peers. The table and every field where we differ from both peers are
//! printed (`cargo test --test provider_corpus -- --nocapture`).
//!
//! What is compared, and what is not (peer plumbing), is in
//! `provider_corpus_support::normalize::IGNORED` and
//! the `normalize` functions, each with its reason. Gemini: both peers call
//! Google's native API while our adapter calls Google's OpenAI-compatible
//! endpoint, so the Gemini requests are compared in a neutral form (the
//! native request read back into OpenAI's terms: roles, texts, images,
//! tools, tool choice, sampling and stop settings); fields with no native
//! equivalent (tool call ids, `stream_options`) are left out of that form.

mod provider_corpus_support;

use provider_corpus_support::{Corpus, Provider, Tally, run_corpus};

/// The share of compared fields that must agree with at least one peer.
const REQUIRED_AGREEMENT: f64 = 0.95;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_translations_agree_with_portkey_or_litellm() {
    let corpus = Corpus::load();
    assert!(corpus.entries.len() >= 30, "the corpus needs 30+ requests");
    let tallies: Vec<(Provider, Tally)> = run_corpus(&corpus).await;
    println!("{}", Tally::table(&tallies));
    for (provider, tally) in &tallies {
        println!("{}", tally.differences(*provider));
    }
    for (provider, tally) in &tallies {
        assert!(
            tally.agreement() >= REQUIRED_AGREEMENT,
            "{}: {:.1}% of {} fields agree with a peer, {:.0}% needed\n{}",
            provider.name(),
            tally.agreement() * 100.0,
            tally.compared,
            REQUIRED_AGREEMENT * 100.0,
            tally.differences(*provider)
        );
    }
}
