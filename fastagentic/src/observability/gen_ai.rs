//! Attribute names: OpenTelemetry's semantic conventions where one exists
//! (GenAI for LLM calls, HTTP for requests), `fastagentic.*` for the rest.
//!
//! The spans use these constants as their field names, so the names a
//! backend sees, the docs and the tests share one home.

/// The operation: `chat` or `embeddings`.
pub const OPERATION_NAME: &str = "gen_ai.operation.name";
/// The provider, as the gateway names itself (`openai`, `portkey`, `litellm`, `demo`).
pub const SYSTEM: &str = "gen_ai.system";
/// The provider, under the convention's newer name (same value as [`SYSTEM`]).
pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
/// The model the call asked for.
pub const REQUEST_MODEL: &str = "gen_ai.request.model";
/// The request's `max_tokens`, when set.
pub const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// The request's `temperature`, when set.
pub const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// The request's `top_p`, when set.
pub const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// The model that answered.
pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
/// The provider's id of the answer.
pub const RESPONSE_ID: &str = "gen_ai.response.id";
/// Why the model stopped, one per choice (a string array).
pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// Prompt tokens.
pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// Completion tokens.
pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// The failure: the gateway error's kind (`upstream_error`, `rate_limited`,
/// ...) on an LLM span, the error's type on a request span.
pub const ERROR_TYPE: &str = "error.type";

/// The HTTP method of the request (`POST`).
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// The route template (`/triage`, `/items/{id}`).
pub const HTTP_ROUTE: &str = "http.route";
/// The status the request was answered with.
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";

/// The endpoint's name.
pub const ENDPOINT: &str = "fastagentic.endpoint";
/// The run id (also in the `x-fastagentic-run-id` response header).
pub const RUN_ID: &str = "fastagentic.run_id";
/// The request metadata, as a JSON object (FastAgentic's own; present when the request has some).
pub const REQUEST_METADATA: &str = "fastagentic.request.metadata";
/// What the call cost in US dollars, when the price is known.
pub const COST_USD: &str = "fastagentic.usage.cost_usd";

/// The span event for a retry of an LLM call (on the LLM call's span).
pub const RETRY_EVENT: &str = "retry";
/// On a retry event: the attempt that failed (1 for the first call).
pub const RETRY_ATTEMPT: &str = "fastagentic.retry.attempt";
/// On a retry event: the wait before the next attempt, in milliseconds.
pub const RETRY_DELAY_MS: &str = "fastagentic.retry.delay_ms";
/// The span event for a move to the next target of a fallback chain.
pub const FALLBACK_EVENT: &str = "fallback";
/// On a fallback event: the target that failed (0 is the primary).
pub const FALLBACK_FROM_INDEX: &str = "fastagentic.fallback.from_index";
/// On a fallback event: the target tried next.
pub const FALLBACK_TO_INDEX: &str = "fastagentic.fallback.to_index";
/// On a fallback event: the model the next target is asked for.
pub const FALLBACK_TO_MODEL: &str = "fastagentic.fallback.to_model";
/// On retry and fallback events: the failure's HTTP status, when the provider answered.
pub const UPSTREAM_STATUS: &str = "fastagentic.upstream.status";
