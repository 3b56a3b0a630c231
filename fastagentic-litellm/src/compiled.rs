//! What a [`LiteLLMGateway`](crate::LiteLLMGateway) compiles its settings
//! into, once, when the app checks it at start-up: the validated options, the
//! transport with its headers, and the static body fields. Per call only what
//! is dynamic is added ([`Ready::per_request`]).

use fastagentic::gateway::ConfigProblems;
use fastagentic::gateway::kit::{
    self as kit, Compile, MetadataWith, Outgoing, PerRequest, Ready, Setting, secret_header,
};
use fastagentic::llm::Extra;
use fastagentic::{
    CallContext, ChatRequest, EmbeddingRequest, GatewayError, OpenAiCompatClient, Secret,
};
use fastagentic_rules::litellm::{check_fallback_models, check_num_retries, check_timeout_secs};
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::CacheControl;
use crate::diagnose::Setup;
use crate::facts::Facts;
use crate::request::{array_field, object_field};
use crate::settings::{API_KEY_ENV, DEFAULT_API_BASE, EndUser, NAME, Settings};
use crate::wire::body;

/// The gateway, ready to send.
pub(crate) struct Compiled {
    /// The transport with every static header set.
    client: OpenAiCompatClient,
    /// `fallbacks`, as sent for each request model.
    fallbacks: Option<Fallbacks>,
    /// `num_retries` and `timeout`, sent unless the request sets them.
    scalars: Vec<(&'static str, Value)>,
    metadata: Map<String, Value>,
    metadata_with: MetadataWith,
    tags: Vec<Value>,
    cache: Option<CacheControl>,
    end_user: EndUser,
    /// The key, for the diagnosis and to scrub it from any error text the
    /// proxy echoes.
    api_key: Option<Setting<Secret>>,
    /// The base URL as errors show it.
    base_url: String,
}

/// The `fallbacks` body field, built once for every request model: the
/// request's own model is not its own fallback.
struct Fallbacks {
    /// The whole list, for a model not in it.
    all: Value,
    /// For each model of the list, the list without it (`None` when that
    /// leaves nothing to send).
    without: Vec<(String, Option<Value>)>,
}

impl Fallbacks {
    fn new(models: &[String]) -> Self {
        let list = |skip: Option<&str>| {
            Value::Array(
                models
                    .iter()
                    .filter(|model| Some(model.as_str()) != skip)
                    .cloned()
                    .map(Value::String)
                    .collect(),
            )
        };
        Self {
            all: list(None),
            without: models
                .iter()
                .map(|model| {
                    let rest = list(Some(model));
                    let rest = rest
                        .as_array()
                        .is_some_and(|r| !r.is_empty())
                        .then_some(rest);
                    (model.clone(), rest)
                })
                .collect(),
        }
    }

    fn for_model(&self, model: &str) -> Option<&Value> {
        match self.without.iter().find(|(name, _)| name == model) {
            Some((_, rest)) => rest.as_ref(),
            None => Some(&self.all),
        }
    }
}

impl Compile for Settings {
    type Compiled = Compiled;

    /// Checks every option (with `fastagentic_rules::litellm`, the rules
    /// `litellm_options!` applies at compile time) and builds what is sent;
    /// `Err` lists every problem.
    fn compile(&self) -> Result<Compiled, GatewayError> {
        let gateway = self;
        let mut problems = ConfigProblems::new(NAME);
        if let Err(problem) = gateway.base_url.check(
            &format!("`{DEFAULT_API_BASE}`"),
            &format!("{API_KEY_ENV} or `.api_key(..)`"),
        ) {
            problems.push(problem);
        }

        let mut client = OpenAiCompatClient::new(NAME, gateway.base_url.as_str());
        client.set_timeout(gateway.client_timeout);
        if let Some(http) = &gateway.http {
            client.set_http_client(http.clone());
        }
        if let Some(key) = &gateway.api_key {
            let when_empty = format!(
                "set {API_KEY_ENV} to the proxy's master key or a virtual key (`sk-...`), or \
                 don't set it for a proxy without a master key"
            );
            match secret_header("the API key", key, "Bearer ", &when_empty) {
                Ok(value) => client.set_header(http::header::AUTHORIZATION, value),
                Err(problem) => problems.push(problem),
            }
        }

        let fallbacks = match &gateway.fallback_models {
            Some(models) => {
                let names: Vec<&str> = models.iter().map(String::as_str).collect();
                match check_fallback_models(&names) {
                    Ok(()) => Some(Fallbacks::new(models)),
                    Err(problem) => {
                        problems.push(problem);
                        None
                    }
                }
            }
            None => None,
        };

        let mut scalars = Vec::new();
        if let Some(retries) = gateway.num_retries {
            match check_num_retries(i64::from(retries)) {
                Ok(()) => scalars.push((body::NUM_RETRIES, Value::from(retries))),
                Err(problem) => problems.push(problem),
            }
        }
        if let Some(secs) = gateway.timeout_secs {
            match check_timeout_secs(secs) {
                Ok(()) => scalars.push((body::TIMEOUT, Value::from(secs))),
                Err(problem) => problems.push(problem),
            }
        }
        if gateway.client_timeout.is_some_and(|limit| limit.is_zero()) {
            problems.push(
                "`client_timeout` is 0: every call would time out; give a limit such as 60 s, \
                 or don't call `client_timeout` to have none",
            );
        }
        for (index, tag) in gateway.tags.iter().enumerate() {
            if tag.trim().is_empty() {
                problems.push(format!(
                    "tag #{} is blank: write a name such as `support`",
                    index + 1
                ));
            }
        }
        for key in gateway
            .metadata
            .keys()
            .map(String::as_str)
            .chain(gateway.metadata_with.keys())
        {
            if key.trim().is_empty() {
                problems.push("a metadata key is blank: write a name such as `team`");
            }
        }

        if let Some(error) = problems.into_error() {
            return Err(error);
        }
        Ok(Compiled {
            client,
            fallbacks,
            scalars,
            metadata: gateway.metadata.clone(),
            metadata_with: gateway.metadata_with.clone(),
            tags: gateway.tags.iter().cloned().map(Value::String).collect(),
            cache: gateway.cache.clone().filter(|cache| !cache.is_empty()),
            end_user: gateway.end_user.clone(),
            api_key: gateway.api_key.clone(),
            base_url: gateway.base_url.shown(),
        })
    }
}

impl Ready for Compiled {
    type Sent = ();
    type Transport = OpenAiCompatClient;

    fn client(&self) -> &OpenAiCompatClient {
        &self.client
    }

    /// The gateway's options, added to the request's body; the request's own
    /// values win.
    fn per_request(&self, call: &CallContext, outgoing: Outgoing<'_>) -> PerRequest<()> {
        match outgoing {
            Outgoing::Chat(request) => self.apply_chat(call, request),
            Outgoing::Embedding(request) => self.apply_embedding(call, request),
        }
        PerRequest::default()
    }

    /// The cost and the `litellm` section, from the `x-litellm-*` headers.
    fn facts(&self, headers: &HeaderMap, _sent: ()) -> kit::Facts {
        Facts::read(headers).into_kit()
    }

    /// Makes the proxy's errors say what to fix.
    fn diagnose(&self, error: GatewayError) -> GatewayError {
        let setup = Setup {
            key_sent: self.api_key.is_some(),
            key_from_env: self
                .api_key
                .as_ref()
                .is_some_and(|key| key.origin().env().is_some()),
            base_url: &self.base_url,
        };
        // The key itself is masked by the kit, as every sensitive header.
        crate::diagnose::explain(error, &setup)
    }
}

impl Compiled {
    /// Adds the gateway's options to a chat request; the request's own
    /// values win.
    fn apply_chat(&self, call: &CallContext, request: &mut ChatRequest) {
        if let Some(fallbacks) = &self.fallbacks
            && !request.extra.contains_key(body::FALLBACKS)
            && let Some(list) = fallbacks.for_model(&request.model)
        {
            request
                .extra
                .insert(body::FALLBACKS.to_owned(), list.clone());
        }
        if request.user.is_none() {
            request.user = self.end_user.of(call);
        }
        self.apply_common(call, &mut request.extra);
    }

    /// Adds the options that apply to embeddings (all but the fallbacks,
    /// which name chat models).
    fn apply_embedding(&self, call: &CallContext, request: &mut EmbeddingRequest) {
        if !request.extra.contains_key(body::USER)
            && let Some(user) = self.end_user.of(call)
        {
            request
                .extra
                .insert(body::USER.to_owned(), Value::String(user));
        }
        self.apply_common(call, &mut request.extra);
    }

    fn apply_common(&self, call: &CallContext, extra: &mut Extra) {
        for (name, value) in &self.scalars {
            if !extra.contains_key(*name) {
                extra.insert((*name).to_owned(), value.clone());
            }
        }
        let from_request = call.request_metadata();
        if !self.metadata.is_empty() || !self.metadata_with.is_empty() || !from_request.is_empty() {
            let metadata = object_field(extra, body::METADATA);
            for (key, value) in &self.metadata {
                if !metadata.contains_key(key) {
                    metadata.insert(key.clone(), value.clone());
                }
            }
            for (key, value) in self.metadata_with.values(call) {
                if !metadata.contains_key(key) {
                    metadata.insert(key.to_owned(), value);
                }
            }
            // The request metadata ([`CallContext::request_metadata`]) last:
            // the body's and the gateway's own entries win.
            for (key, value) in from_request {
                if !metadata.contains_key(key) {
                    metadata.insert(key.clone(), value.clone());
                }
            }
        }
        if !self.tags.is_empty() {
            let tags = array_field(extra, body::TAGS);
            for tag in &self.tags {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
        }
        if let Some(cache) = &self.cache {
            cache.write_into(object_field(extra, body::CACHE), false);
        }
    }
}
