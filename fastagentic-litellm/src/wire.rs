//! The names the LiteLLM proxy (1.106.2) reads in a request body and answers
//! with in response headers.

/// Request-body fields: LiteLLM's extensions of the OpenAI chat request.
pub mod body {
    /// `fallbacks`: model names tried, in order, after the request's own model fails.
    pub const FALLBACKS: &str = "fallbacks";
    /// `num_retries`: how often the proxy retries a failed call to one model.
    pub const NUM_RETRIES: &str = "num_retries";
    /// `timeout`: seconds the proxy waits for one call to a model.
    pub const TIMEOUT: &str = "timeout";
    /// `metadata`: a JSON object the proxy keeps with the call (logs, callbacks, spend).
    pub const METADATA: &str = "metadata";
    /// `tags`: strings for spend tracking and tag-based routing.
    pub const TAGS: &str = "tags";
    /// `cache`: per-request cache controls (`no-cache`, `no-store`, `ttl`, `s-maxage`, `namespace`).
    pub const CACHE: &str = "cache";
    /// `user`: the end user the call is made for (OpenAI's field; LiteLLM tracks spend per end user).
    pub const USER: &str = "user";
    /// `mock_testing_fallbacks`: the proxy fails the first model on purpose, to try the fallbacks.
    pub const MOCK_TESTING_FALLBACKS: &str = "mock_testing_fallbacks";
}

/// Response headers of the proxy.
pub mod header {
    /// What the call cost in US dollars, by LiteLLM's price map (absent when unknown).
    pub const RESPONSE_COST: &str = "x-litellm-response-cost";
    /// The id of the deployment that answered.
    pub const MODEL_ID: &str = "x-litellm-model-id";
    /// The API base of the deployment that answered (query string removed).
    pub const MODEL_API_BASE: &str = "x-litellm-model-api-base";
    /// The model group (`model_name`) that answered: after a fallback, the fallback's.
    pub const MODEL_GROUP: &str = "x-litellm-model-group";
    /// The proxy's id for the call, as in its logs.
    pub const CALL_ID: &str = "x-litellm-call-id";
    /// Retries of the model group that answered.
    pub const ATTEMPTED_RETRIES: &str = "x-litellm-attempted-retries";
    /// The retry limit of the call, when the request set `num_retries`.
    pub const MAX_RETRIES: &str = "x-litellm-max-retries";
    /// Fallbacks tried before the answer.
    pub const ATTEMPTED_FALLBACKS: &str = "x-litellm-attempted-fallbacks";
    /// The cache key: sent only when the answer came from the proxy's cache.
    pub const CACHE_KEY: &str = "x-litellm-cache-key";
    /// Time the proxy itself added, in milliseconds.
    pub const OVERHEAD_DURATION_MS: &str = "x-litellm-overhead-duration-ms";
    /// Time of the whole call inside the proxy, in milliseconds.
    pub const RESPONSE_DURATION_MS: &str = "x-litellm-response-duration-ms";
}
