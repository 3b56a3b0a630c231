//! What a [`LiteLLMGateway`] builds once, when the app checks it at start-up:
//! the validated options, the transport with its headers, and the static body
//! fields. Per call only what is dynamic is added ([`Prepared::apply_chat`]).

use fastagentic::gateway::ConfigProblems;
use fastagentic::llm::Extra;
use fastagentic::{
    CallContext, ChatRequest, EmbeddingRequest, GatewayError, OpenAiCompatClient, Secret,
};
use fastagentic_rules::litellm::{check_fallback_models, check_num_retries, check_timeout_secs};
use serde_json::{Map, Value};

use crate::CacheControl;
use crate::gateway::{
    API_BASE_ENV, API_KEY_ENV, EndUser, LiteLLMGateway, MetadataFn, NAME, shown_url,
};
use crate::request::{array_field, object_field};
use crate::wire::body;

/// The gateway, ready to send.
#[derive(Clone)]
pub(crate) struct Prepared {
    /// The transport with every static header set.
    pub(crate) client: OpenAiCompatClient,
    /// `fallbacks`, as sent for each request model.
    fallbacks: Option<Fallbacks>,
    /// `num_retries` and `timeout`, sent unless the request sets them.
    scalars: Vec<(&'static str, Value)>,
    metadata: Map<String, Value>,
    metadata_with: Vec<(String, MetadataFn)>,
    tags: Vec<Value>,
    cache: Option<CacheControl>,
    end_user: EndUser,
    /// The key, to scrub it from any error text the proxy echoes.
    api_key: Option<Secret>,
    api_key_from_env: bool,
    /// The base URL as errors show it.
    base_url: String,
}

/// The `fallbacks` body field, built once for every request model: the
/// request's own model is not its own fallback.
#[derive(Clone)]
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

/// Every problem found while preparing; reported together.
impl Prepared {
    /// Checks every option (with `fastagentic_rules::litellm`, the rules
    /// `litellm_options!` applies at compile time) and builds what is sent;
    /// `Err` lists every problem.
    pub(crate) fn build(gateway: &LiteLLMGateway) -> Result<Self, GatewayError> {
        let mut problems = ConfigProblems::new(NAME);
        check_base_url(gateway, &mut problems);

        let mut client = OpenAiCompatClient::new(NAME, &gateway.base_url);
        client.set_timeout(gateway.client_timeout);
        if let Some(http) = &gateway.http {
            client.set_http_client(http.clone());
        }
        let api_key = match &gateway.api_key {
            Some(key) if key.expose().trim().is_empty() => {
                problems.push(format!(
                    "the API key is empty: set {API_KEY_ENV} to the proxy's master key or a \
                     virtual key (`sk-...`), or don't set it for a proxy without a master key"
                ));
                None
            }
            Some(key) => {
                client.set_bearer(key);
                if client.headers().get(http::header::AUTHORIZATION).is_none() {
                    problems.push(format!(
                        "the API key{} holds characters that cannot go in an HTTP header",
                        from_env(gateway.api_key_from_env, API_KEY_ENV)
                    ));
                }
                Some(key.clone())
            }
            None => None,
        };

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
            .chain(gateway.metadata_with.iter().map(|(key, _)| key))
        {
            if key.trim().is_empty() {
                problems.push("a metadata key is blank: write a name such as `team`");
            }
        }

        if let Some(error) = problems.into_error() {
            return Err(error);
        }
        Ok(Self {
            client,
            fallbacks,
            scalars,
            metadata: gateway.metadata.clone(),
            metadata_with: gateway.metadata_with.clone(),
            tags: gateway.tags.iter().cloned().map(Value::String).collect(),
            cache: gateway.cache.clone().filter(|cache| !cache.is_empty()),
            end_user: gateway.end_user.clone(),
            api_key,
            api_key_from_env: gateway.api_key_from_env,
            base_url: shown_url(&gateway.base_url),
        })
    }

    /// Adds the gateway's options to a chat request; the request's own
    /// values win.
    pub(crate) fn apply_chat(&self, call: &CallContext, request: &mut ChatRequest) {
        if let Some(fallbacks) = &self.fallbacks
            && !request.extra.contains_key(body::FALLBACKS)
            && let Some(list) = fallbacks.for_model(&request.model)
        {
            request
                .extra
                .insert(body::FALLBACKS.to_owned(), list.clone());
        }
        if request.user.is_none() {
            request.user = self.end_user(call);
        }
        self.apply_common(call, &mut request.extra);
    }

    /// Adds the options that apply to embeddings (all but the fallbacks,
    /// which name chat models).
    pub(crate) fn apply_embedding(&self, call: &CallContext, request: &mut EmbeddingRequest) {
        if !request.extra.contains_key(body::USER)
            && let Some(user) = self.end_user(call)
        {
            request
                .extra
                .insert(body::USER.to_owned(), Value::String(user));
        }
        self.apply_common(call, &mut request.extra);
    }

    fn end_user(&self, call: &CallContext) -> Option<String> {
        match &self.end_user {
            EndUser::FromCall => call.user_id().map(str::to_owned),
            EndUser::Fixed(user) => Some(user.clone()),
            EndUser::With(user) => user(call),
        }
    }

    fn apply_common(&self, call: &CallContext, extra: &mut Extra) {
        for (name, value) in &self.scalars {
            if !extra.contains_key(*name) {
                extra.insert((*name).to_owned(), value.clone());
            }
        }
        if !self.metadata.is_empty() || !self.metadata_with.is_empty() {
            let metadata = object_field(extra, body::METADATA);
            for (key, value) in &self.metadata {
                if !metadata.contains_key(key) {
                    metadata.insert(key.clone(), value.clone());
                }
            }
            for (key, value) in &self.metadata_with {
                if !metadata.contains_key(key)
                    && let Some(value) = value(call)
                {
                    metadata.insert(key.clone(), value);
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

    /// Makes the proxy's errors say what to fix, without the key.
    pub(crate) fn diagnose(&self, error: GatewayError) -> GatewayError {
        let error = crate::diagnose::explain(
            error,
            &crate::diagnose::Setup {
                key_sent: self.api_key.is_some(),
                key_from_env: self.api_key_from_env,
                base_url: &self.base_url,
            },
        );
        match &self.api_key {
            Some(key) => crate::diagnose::scrub(error, key.expose()),
            None => error,
        }
    }
}

fn from_env(from_env: bool, var: &str) -> String {
    if from_env {
        format!(" ({var})")
    } else {
        String::new()
    }
}

fn check_base_url(gateway: &LiteLLMGateway, problems: &mut ConfigProblems) {
    let env = from_env(gateway.base_url_from_env, API_BASE_ENV);
    match reqwest::Url::parse(&gateway.base_url) {
        Ok(url) if url.password().is_some() || !url.username().is_empty() => problems.push(format!(
            "the proxy's base URL{env} holds credentials: remove them from the URL and give the \
             key with {API_KEY_ENV} or `.api_key(..)`"
        )),
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
        _ => problems.push(format!(
            "the proxy's base URL `{}`{env} is not an absolute http(s) URL; set it like \
             `http://localhost:4000`",
            shown_url(&gateway.base_url)
        )),
    }
}
