//! Model prices, so `usage.cost` is filled for well-known models.

use std::collections::HashMap;

use super::Usage;

/// The price of one model in US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelPrice {
    /// Per million input (prompt) tokens.
    pub input_per_million: f64,
    /// Per million output (completion) tokens.
    pub output_per_million: f64,
}

impl ModelPrice {
    /// A price in dollars per million input and output tokens.
    pub const fn per_million(input: f64, output: f64) -> Self {
        Self {
            input_per_million: input,
            output_per_million: output,
        }
    }

    /// What `usage` costs at this price.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (usage.input_tokens as f64 * self.input_per_million
            + usage.output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// List prices (USD per million tokens, input/output) of common models as
/// published by OpenAI, Anthropic, Google and Mistral in 2025. Prices change:
/// override them with [`PriceTable::set`] where it matters.
const BUILT_IN: &[(&str, f64, f64)] = &[
    // OpenAI
    ("gpt-5", 1.25, 10.0),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4-turbo", 10.0, 30.0),
    ("gpt-4", 30.0, 60.0),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o1", 15.0, 60.0),
    ("o1-mini", 1.10, 4.40),
    ("o3", 2.0, 8.0),
    ("o3-mini", 1.10, 4.40),
    ("o4-mini", 1.10, 4.40),
    ("text-embedding-3-small", 0.02, 0.0),
    ("text-embedding-3-large", 0.13, 0.0),
    ("text-embedding-ada-002", 0.10, 0.0),
    // Anthropic (dated ids such as `claude-sonnet-4-5-20250929` match by prefix)
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.80, 4.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-3-sonnet", 3.0, 15.0),
    ("claude-3-haiku", 0.25, 1.25),
    // Google (Gemini 2.5 Pro: the price of prompts up to 200k tokens)
    ("gemini-3-pro-preview", 2.0, 12.0),
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-flash-lite", 0.10, 0.40),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.0-flash-lite", 0.075, 0.30),
    ("gemini-embedding-001", 0.15, 0.0),
    ("gemini-1.5-pro", 1.25, 5.0),
    ("gemini-1.5-flash", 0.075, 0.30),
    ("gemini-pro", 0.50, 1.50),
    // Mistral
    ("mistral-large", 2.0, 6.0),
    ("mistral-medium", 0.40, 2.0),
    ("mistral-small", 0.20, 0.60),
    ("codestral", 0.30, 0.90),
    ("open-mistral-7b", 0.25, 0.25),
];

/// Prices by model name. A model matches the longest known name it starts
/// with, after any provider prefix (`openai/gpt-4o-mini-2024-07-18` is priced
/// as `gpt-4o-mini`).
///
/// ```
/// use fastagentic::{ModelPrice, PriceTable, Usage};
/// let table = PriceTable::default().set("my-finetune", ModelPrice::per_million(1.0, 2.0));
/// assert_eq!(table.cost("my-finetune", &Usage::new(1_000_000, 500_000)), Some(2.0));
/// assert!(table.cost("gpt-4o-mini-2024-07-18", &Usage::new(1000, 0)).is_some());
/// assert_eq!(table.cost("unknown-model", &Usage::new(10, 10)), None);
/// ```
#[derive(Clone, Debug)]
pub struct PriceTable {
    prices: HashMap<String, ModelPrice>,
}

impl Default for PriceTable {
    /// The built-in prices.
    fn default() -> Self {
        Self {
            prices: BUILT_IN
                .iter()
                .map(|(model, input, output)| {
                    (
                        (*model).to_owned(),
                        ModelPrice::per_million(*input, *output),
                    )
                })
                .collect(),
        }
    }
}

impl PriceTable {
    /// A table with no prices.
    pub fn empty() -> Self {
        Self {
            prices: HashMap::new(),
        }
    }

    /// Sets (or overrides) a model's price.
    pub fn set(mut self, model: impl Into<String>, price: ModelPrice) -> Self {
        self.prices.insert(model.into(), price);
        self
    }

    /// The price of `model`, if known.
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        let name = model.rsplit('/').next().unwrap_or(model);
        if let Some(price) = self.prices.get(name) {
            return Some(*price);
        }
        self.prices
            .iter()
            .filter(|(known, _)| {
                name.starts_with(known.as_str()) && name.as_bytes().get(known.len()) == Some(&b'-')
            })
            .max_by_key(|(known, _)| known.len())
            .map(|(_, price)| *price)
    }

    /// Every model with a price, sorted.
    pub fn models(&self) -> Vec<String> {
        let mut models: Vec<String> = self.prices.keys().cloned().collect();
        models.sort();
        models
    }

    /// What `usage` of `model` costs, if the model is known.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.price(model).map(|p| p.cost(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let t = PriceTable::default();
        assert_eq!(t.price("gpt-4o-mini-2024-07-18"), t.price("gpt-4o-mini"));
        assert_ne!(t.price("gpt-4o-mini"), t.price("gpt-4o"));
        assert_eq!(
            t.price("claude-3-5-sonnet-20241022"),
            t.price("claude-3-5-sonnet")
        );
        assert_eq!(
            t.price("anthropic/claude-3-opus-20240229"),
            t.price("claude-3-opus")
        );
        assert_eq!(t.price("gpt-4-turbo-preview"), t.price("gpt-4-turbo"));
        assert_eq!(t.price("gpt-4omni"), None);
        // The current models of Anthropic and Google, dated ids included.
        assert_eq!(
            t.price("claude-sonnet-4-5-20250929"),
            t.price("claude-sonnet-4-5")
        );
        assert_eq!(
            t.price("claude-opus-4-5-20251101"),
            Some(ModelPrice::per_million(5.0, 25.0))
        );
        assert_eq!(
            t.price("claude-haiku-4-5-20251001"),
            Some(ModelPrice::per_million(1.0, 5.0))
        );
        assert_eq!(
            t.price("gemini-2.5-flash-lite"),
            Some(ModelPrice::per_million(0.10, 0.40))
        );
        assert_eq!(t.price("models/gemini-2.5-pro"), t.price("gemini-2.5-pro"));
    }
}
