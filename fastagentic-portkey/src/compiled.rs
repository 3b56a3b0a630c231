//! What a [`PortkeyGateway`](crate::PortkeyGateway) compiles its settings
//! into, once, when the app checks it at start-up: the merged config, every
//! static header, and what the diagnosis needs. Per request only the dynamic
//! headers are added ([`Ready::per_request`]).

use fastagentic::gateway::ConfigProblems;
use fastagentic::gateway::kit::{Compile, Facts, Outgoing, PerRequest, Ready, secret_header};
use fastagentic::gateway::kit::{MetadataWith, PerCall, Setting};
use fastagentic::{CallContext, GatewayError, OpenAiCompatClient, Secret};
use fastagentic_rules::portkey::{
    DEFAULT_TRUSTED_CUSTOM_HOSTS, PathSegment, check_custom_host, check_provider, extensions_in,
};
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::{Map, Value};

use crate::PortkeyConfig;
use crate::diagnose::Diagnosis;
use crate::facts;
use crate::header_json::json_header;
use crate::settings::{API_KEY_ENV, BASE_URL_ENV, HOSTED_BASE_URL, NAME, Settings};
use crate::target::Inherited;
use crate::wire;

/// The gateway, ready to send.
pub(crate) struct Compiled {
    /// The transport with every static header set.
    client: OpenAiCompatClient,
    /// The config sent in `x-portkey-config`, after merging.
    pub(crate) config: Option<PortkeyConfig>,
    static_metadata: Map<String, Value>,
    dynamic_metadata: MetadataWith,
    trace_id: Option<PerCall<String>>,
    diagnosis: Diagnosis,
}

impl Compile for Settings {
    type Compiled = Compiled;

    /// Checks everything and builds the headers; `Err` lists every problem.
    fn compile(&self) -> Result<Compiled, GatewayError> {
        let settings = self;
        let mut problems = ConfigProblems::new(NAME);
        let deployment = deployment_of(settings, &mut problems);
        let mut client = OpenAiCompatClient::new(NAME, settings.base_url.as_str());
        client.set_timeout(settings.timeout);
        if let Some(http) = &settings.http {
            client.set_http_client(http.clone());
        }
        let hosted = deployment == Some(Deployment::Hosted);
        set_portkey_keys(settings, hosted, &mut client, &mut problems);
        let config = merged_config(settings, &mut problems);
        if let Some(path) = config
            .as_ref()
            .and_then(|config| loadbalance_failover(config.as_json(), "config"))
        {
            tracing::warn!(
                "{path}: `on_status_codes` in a `loadbalance` strategy is ignored by the Portkey \
                 gateway (it never fails over to a sibling); only the in-process engine \
                 (`PortkeyGateway::in_process`) reads it"
            );
        }
        if let Some(config) = &config {
            // Our in-process extensions: the gateway would drop them silently.
            for found in extensions_in(config.as_json()) {
                problems.push(found.to_string());
            }
        }
        set_config(settings, config.as_ref(), &mut client, &mut problems);
        set_provider(settings, &mut client, &mut problems);
        set_options(settings, &mut client, &mut problems);
        let static_metadata: Map<String, Value> = settings
            .metadata
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect();
        if settings.metadata_with.is_empty() && !static_metadata.is_empty() {
            // No per-request entries: the whole header is static.
            match json_header(&Value::Object(static_metadata.clone()).to_string()) {
                Ok(value) => client.set_header(wire::METADATA, value),
                Err(problem) => problems.push(format!("the metadata cannot be sent: {problem}")),
            }
        }
        if deployment == Some(Deployment::SelfHosted) {
            check_routing(settings, config.as_ref(), &mut problems);
        }
        if let Some(error) = problems.into_error() {
            return Err(error);
        }
        Ok(Compiled {
            client,
            diagnosis: Diagnosis::new(config.as_ref(), hosted),
            config,
            static_metadata,
            dynamic_metadata: settings.metadata_with.clone(),
            trace_id: settings.trace_id_with.clone(),
        })
    }
}

impl Ready for Compiled {
    /// The trace id sent, for the facts.
    type Sent = Option<String>;
    type Transport = OpenAiCompatClient;

    fn client(&self) -> &OpenAiCompatClient {
        &self.client
    }

    /// The headers computed for this call: `x-portkey-metadata` with the
    /// request metadata ([`CallContext::request_metadata`]) and the dynamic
    /// entries, `x-portkey-trace-id`.
    fn per_request(
        &self,
        call: &CallContext,
        _outgoing: Outgoing<'_>,
    ) -> PerRequest<Option<String>> {
        let from_request = call.request_metadata();
        if self.dynamic_metadata.is_empty() && self.trace_id.is_none() && from_request.is_empty() {
            return PerRequest::default();
        }
        let mut headers = HeaderMap::new();
        if !self.dynamic_metadata.is_empty() || !from_request.is_empty() {
            // The request's metadata first; the gateway's own entries win
            // (a client cannot relabel the app's `environment`), and the
            // per-call ones win over both.
            let mut metadata = from_request.clone();
            metadata.extend(self.static_metadata.clone());
            for (key, value) in self.dynamic_metadata.values(call) {
                metadata.insert(key.to_owned(), value);
            }
            if !metadata.is_empty()
                && let Ok(value) = json_header(&Value::Object(metadata).to_string())
            {
                headers.insert(wire::METADATA, value);
            }
        }
        let mut trace_id = None;
        if let Some(make) = &self.trace_id {
            let id = make.get(call);
            // An id that cannot be a header value (control characters,
            // non-ASCII) is not sent.
            if let Ok(value) = HeaderValue::from_str(&id)
                && !id.is_empty()
            {
                headers.insert(wire::TRACE_ID, value);
                trace_id = Some(id);
            }
        }
        PerRequest {
            headers: Some(headers),
            sent: trace_id,
        }
    }

    fn facts(&self, headers: &HeaderMap, sent_trace_id: Option<String>) -> Facts {
        Facts {
            section: Some(facts::section(
                headers,
                sent_trace_id,
                self.diagnosis.retry_attempts(),
            )),
            cost: None,
        }
    }

    fn diagnose(&self, error: GatewayError) -> GatewayError {
        self.diagnosis.explain(error)
    }
}

/// Where the base URL points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deployment {
    /// Hosted Portkey (`*.portkey.ai`).
    Hosted,
    /// Any other gateway (self-hosted).
    SelfHosted,
}

/// Where the base URL points, after the kit's check; `None` when it is
/// unusable (the problem is recorded).
fn deployment_of(settings: &Settings, problems: &mut ConfigProblems) -> Option<Deployment> {
    let example = format!("`{HOSTED_BASE_URL}` or `http://localhost:8787/v1`");
    let key_instead = format!("`.api_key(..)` or {API_KEY_ENV}");
    match settings.base_url.check(&example, &key_instead) {
        Ok(url) => {
            let hosted = url
                .host_str()
                .is_some_and(|host| host == "portkey.ai" || host.ends_with(".portkey.ai"));
            Some(if hosted {
                Deployment::Hosted
            } else {
                Deployment::SelfHosted
            })
        }
        Err(problem) => {
            problems.push(problem);
            None
        }
    }
}

/// A self-hosted gateway refuses a request that names no provider.
fn check_routing(
    settings: &Settings,
    config: Option<&PortkeyConfig>,
    problems: &mut ConfigProblems,
) {
    let routed_by_config = config
        .and_then(|config| config.as_json().as_object())
        .is_some_and(|root| root.contains_key("provider") || root.contains_key("targets"));
    if settings.provider.is_none()
        && settings.virtual_key.is_none()
        && settings.config_id.is_none()
        && !routed_by_config
    {
        problems.push(
            "nothing tells the gateway where to send requests (a self-hosted gateway answers 400 \
             \"Either x-portkey-config or x-portkey-provider header is required\"): set \
             `.provider(\"openai\")` with `.provider_api_key(..)`, `.fallback([...])`, or a config \
             with `provider` or `targets`",
        );
    }
}

/// `x-portkey-api-key` and `x-portkey-virtual-key`; hosted Portkey needs the key.
fn set_portkey_keys(
    settings: &Settings,
    hosted: bool,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    let api_key = settings
        .api_key
        .as_ref()
        .filter(|key| !key.value().expose().trim().is_empty());
    match api_key {
        Some(key) => set_secret(client, wire::API_KEY, key, "the Portkey API key", problems),
        None if hosted => problems.push(format!(
            "no Portkey API key: set {API_KEY_ENV} (or call `.api_key(..)`); hosted Portkey \
             ({HOSTED_BASE_URL}) refuses requests without one. For a self-hosted gateway set \
             {BASE_URL_ENV}, e.g. http://localhost:8787/v1"
        )),
        None => {}
    }
    if let Some(virtual_key) = &settings.virtual_key {
        let virtual_key = Setting::given(virtual_key.clone());
        set_secret(
            client,
            wire::VIRTUAL_KEY,
            &virtual_key,
            "the virtual key",
            problems,
        );
    }
}

/// `x-portkey-config`: the merged config (it may hold keys: sensitive), or a saved config's id.
fn set_config(
    settings: &Settings,
    config: Option<&PortkeyConfig>,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    if let Some(config) = config {
        match json_header(config.compact_json()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                client.set_header(wire::CONFIG, value);
            }
            Err(problem) => problems.push(format!("the config cannot be sent: {problem}")),
        }
    } else if let Some(id) = &settings.config_id {
        set_plain(client, wire::CONFIG, id, "config_id", problems);
    }
}

/// `x-portkey-provider`, `Authorization` and `x-portkey-custom-host`.
fn set_provider(
    settings: &Settings,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    if let Some(provider) = &settings.provider {
        match check_provider(provider) {
            Ok(()) => set_plain(client, wire::PROVIDER, provider, "provider", problems),
            Err(message) => problems.push(format!("`.provider(..)`: {message}")),
        }
    }
    if let Some(key) = &settings.provider_api_key {
        let key = Setting::given(key.clone());
        match secret_header(
            "the provider API key",
            &key,
            "Bearer ",
            "give the provider's key",
        ) {
            Ok(value) => client.set_header(header::AUTHORIZATION, value),
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(url) = &settings.custom_host {
        match check_custom_host(url, DEFAULT_TRUSTED_CUSTOM_HOSTS) {
            Ok(()) => set_plain(client, wire::CUSTOM_HOST, url, "custom_host", problems),
            Err(message) => problems.push(format!("`.custom_host(..)`: {message}")),
        }
    }
}

/// The remaining SDK options, one header each.
fn set_options(
    settings: &Settings,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    if let Some(timeout) = settings.request_timeout {
        let millis = timeout.as_millis().max(1).to_string();
        set_plain(
            client,
            wire::REQUEST_TIMEOUT,
            &millis,
            "request_timeout",
            problems,
        );
    }
    if !settings.forward_headers.is_empty() {
        let list = settings.forward_headers.join(",");
        set_plain(
            client,
            wire::FORWARD_HEADERS,
            &list,
            "forward_headers",
            problems,
        );
    }
    if let Some(namespace) = &settings.cache_namespace {
        set_plain(
            client,
            wire::CACHE_NAMESPACE,
            namespace,
            "cache_namespace",
            problems,
        );
    }
    if settings.cache_force_refresh {
        client.set_header(wire::CACHE_FORCE_REFRESH, HeaderValue::from_static("true"));
    }
}

/// The config sent: the given one with cache, retry and fallback merged in,
/// checked again as a whole.
pub(crate) fn merged_config(
    settings: &Settings,
    problems: &mut ConfigProblems,
) -> Option<PortkeyConfig> {
    let merges =
        settings.cache.is_some() || settings.retry.is_some() || settings.fallback.is_some();
    if settings.config_id.is_some() {
        if settings.config.is_some() || merges {
            problems.push(
                "`.config_id(..)` names a config saved in Portkey, which cannot be combined with \
                 `.config(..)`, `.cache(..)`, `.retry(..)` or `.fallback(..)`: put those in the \
                 saved config, or send the whole config with `.config(..)`",
            );
        }
        return None;
    }
    if settings.fallback.is_none() && settings.fallback_status_codes.is_some() {
        problems.push("`.fallback_on_status_codes(..)` needs `.fallback([...])`: name the models to fall back through");
    }
    if !merges {
        return settings.config.clone();
    }
    let mut root = settings
        .config
        .as_ref()
        .and_then(|config| config.as_json().as_object().cloned())
        .unwrap_or_default();
    if let Some(cache) = &settings.cache {
        root.insert("cache".to_owned(), cache.to_json());
    }
    if let Some(retry) = &settings.retry {
        root.insert("retry".to_owned(), retry.to_json());
    }
    if let Some(models) = &settings.fallback {
        merge_fallback(settings, models, &mut root, problems);
    }
    match PortkeyConfig::from_value(Value::Object(root)) {
        Ok(config) => Some(config),
        Err(error) => {
            for problem in error.errors() {
                let origin = match problem.path.first() {
                    Some(PathSegment::Key(key)) if key == "cache" && settings.cache.is_some() => {
                        "`.cache(..)`"
                    }
                    Some(PathSegment::Key(key)) if key == "retry" && settings.retry.is_some() => {
                        "`.retry(..)`"
                    }
                    Some(PathSegment::Key(key))
                        if (key == "strategy" || key == "targets")
                            && settings.fallback.is_some() =>
                    {
                        "`.fallback(..)`"
                    }
                    _ => "the config",
                };
                problems.push(format!("{origin}: {problem}"));
            }
            None
        }
    }
}

fn merge_fallback(
    settings: &Settings,
    models: &[crate::FallbackModel],
    root: &mut Map<String, Value>,
    problems: &mut ConfigProblems,
) {
    if models.is_empty() {
        problems.push("`.fallback([])` names no model: list the models to try, in order");
        return;
    }
    for key in ["strategy", "targets", "provider"] {
        if root.contains_key(key) {
            problems.push(format!(
                "`.fallback(..)` builds the config's `strategy` and `targets`, but the config \
                 already has `{key}`: route in one place (put the fallback in the config, or \
                 drop the config's routing)"
            ));
            return;
        }
    }
    let inherited = match (&settings.virtual_key, &settings.provider) {
        (Some(virtual_key), _) => Inherited::VirtualKey(virtual_key),
        (None, Some(provider)) => Inherited::Provider(provider, settings.provider_api_key.as_ref()),
        (None, None) => Inherited::None,
    };
    let mut targets = Vec::with_capacity(models.len());
    for model in models {
        match model.to_json(inherited) {
            Ok(target) => targets.push(target),
            Err(problem) => problems.push(problem),
        }
    }
    let mut strategy = Map::new();
    strategy.insert("mode".to_owned(), Value::from("fallback"));
    if let Some(codes) = &settings.fallback_status_codes {
        strategy.insert("on_status_codes".to_owned(), Value::from(codes.clone()));
    }
    root.insert("strategy".to_owned(), Value::Object(strategy));
    root.insert("targets".to_owned(), Value::Array(targets));
}

/// Sets a header holding a credential (checked by the kit: never echoed).
fn set_secret(
    client: &mut OpenAiCompatClient,
    name: HeaderName,
    secret: &Setting<Secret>,
    what: &str,
    problems: &mut ConfigProblems,
) {
    match secret_header(what, secret, "", "give a value or leave the option out") {
        Ok(value) => client.set_header(name, value),
        Err(problem) => problems.push(problem),
    }
}

fn set_plain(
    client: &mut OpenAiCompatClient,
    name: HeaderName,
    text: &str,
    what: &str,
    problems: &mut ConfigProblems,
) {
    match HeaderValue::from_str(text) {
        Ok(value) => client.set_header(name, value),
        Err(_) => problems.push(format!(
            "`{what}` value {text:?} cannot go in an HTTP header (control characters or non-ASCII)"
        )),
    }
}

/// The path of the first `loadbalance` strategy with `on_status_codes` in
/// `node` (read in-process, ignored by a remote gateway).
fn loadbalance_failover(node: &Value, path: &str) -> Option<String> {
    let strategy = node.get("strategy")?;
    if strategy.get("mode").and_then(Value::as_str) == Some("loadbalance")
        && strategy.get("on_status_codes").is_some()
    {
        return Some(format!("{path}.strategy"));
    }
    node.get("targets")?
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, target)| loadbalance_failover(target, &format!("{path}.targets[{i}]")))
}
