//! What a [`PortkeyGateway`] builds once, when the app checks it at start-up:
//! the merged config, every static header, and what the diagnostics need.
//! Per request only the dynamic headers are added ([`Prepared::request_headers`]).

use fastagentic::gateway::ConfigProblems;
use fastagentic::{CallContext, GatewayError, OpenAiCompatClient, Secret};
use fastagentic_rules::portkey::{
    DEFAULT_TRUSTED_CUSTOM_HOSTS, PathSegment, check_custom_host, check_provider,
};
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::{Map, Value};

use crate::diagnose::Diagnosis;
use crate::gateway::{API_KEY_ENV, BASE_URL_ENV, HOSTED_BASE_URL, MetadataFn, NAME, TraceIdFn};
use crate::header_json::json_header;
use crate::target::Inherited;
use crate::wire;
use crate::{PortkeyConfig, PortkeyGateway};

/// The gateway, ready to send.
pub(crate) struct Prepared {
    /// The transport with every static header set.
    pub(crate) client: OpenAiCompatClient,
    /// The config sent in `x-portkey-config`, after merging.
    pub(crate) config: Option<PortkeyConfig>,
    static_metadata: Map<String, Value>,
    dynamic_metadata: Vec<(String, MetadataFn)>,
    trace_id: Option<TraceIdFn>,
    pub(crate) diagnosis: Diagnosis,
}

/// The headers one request adds, and the trace id it sent.
#[derive(Default)]
pub(crate) struct PerRequest {
    pub(crate) headers: Option<HeaderMap>,
    pub(crate) trace_id: Option<String>,
}

/// Every problem found while preparing; reported together.
impl Prepared {
    /// Checks everything and builds the headers; `Err` lists every problem.
    pub(crate) fn build(gateway: &PortkeyGateway) -> Result<Self, GatewayError> {
        let mut problems = ConfigProblems::new(NAME);
        let base_url = check_base_url(gateway, &mut problems);
        let mut client = OpenAiCompatClient::new(NAME, &gateway.base_url);
        client.set_timeout(gateway.timeout);
        if let Some(http) = &gateway.http {
            client.set_http_client(http.clone());
        }
        let hosted = base_url == Some(BaseUrl::Hosted);
        set_portkey_keys(gateway, hosted, &mut client, &mut problems);
        let config = merged_config(gateway, &mut problems);
        set_config(gateway, config.as_ref(), &mut client, &mut problems);
        set_provider(gateway, &mut client, &mut problems);
        set_options(gateway, &mut client, &mut problems);
        let static_metadata: Map<String, Value> = gateway
            .metadata
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect();
        if gateway.metadata_with.is_empty() && !static_metadata.is_empty() {
            // No per-request entries: the whole header is static.
            match json_header(&Value::Object(static_metadata.clone()).to_string()) {
                Ok(value) => client.set_header(wire::METADATA, value),
                Err(problem) => problems.push(format!("the metadata cannot be sent: {problem}")),
            }
        }
        if base_url == Some(BaseUrl::SelfHosted) {
            check_routing(gateway, config.as_ref(), &mut problems);
        }
        if let Some(error) = problems.into_error() {
            return Err(error);
        }
        Ok(Self {
            client,
            diagnosis: Diagnosis::new(config.as_ref(), hosted),
            config,
            static_metadata,
            dynamic_metadata: gateway.metadata_with.clone(),
            trace_id: gateway.trace_id_with.clone(),
        })
    }

    /// The headers computed for this call: `x-portkey-metadata` with the
    /// dynamic entries, `x-portkey-trace-id`.
    pub(crate) fn request_headers(&self, call: &CallContext) -> PerRequest {
        if self.dynamic_metadata.is_empty() && self.trace_id.is_none() {
            return PerRequest::default();
        }
        let mut headers = HeaderMap::new();
        if !self.dynamic_metadata.is_empty() {
            let mut metadata = self.static_metadata.clone();
            for (key, value) in &self.dynamic_metadata {
                if let Some(value) = value(call) {
                    metadata.insert(key.clone(), Value::String(value));
                }
            }
            if !metadata.is_empty()
                && let Ok(value) = json_header(&Value::Object(metadata).to_string())
            {
                headers.insert(wire::METADATA, value);
            }
        }
        let mut trace_id = None;
        if let Some(make) = &self.trace_id {
            let id = make(call);
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
            trace_id,
        }
    }
}

/// Where the base URL points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BaseUrl {
    /// Hosted Portkey (`*.portkey.ai`).
    Hosted,
    /// Any other gateway.
    SelfHosted,
}

/// Checks the base URL; `None` when it is unusable (a problem is recorded).
fn check_base_url(gateway: &PortkeyGateway, problems: &mut ConfigProblems) -> Option<BaseUrl> {
    let source = if gateway.base_url_from_env {
        format!(" (from {BASE_URL_ENV})")
    } else {
        String::new()
    };
    match reqwest::Url::parse(&gateway.base_url) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            // Never echo the URL: it holds a credential.
            problems.push(format!(
                "the base URL{source} carries credentials (`user:password@`): give the key with \
                 `.api_key(..)` or {API_KEY_ENV} instead"
            ));
            None
        }
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            let hosted = url
                .host_str()
                .is_some_and(|host| host == "portkey.ai" || host.ends_with(".portkey.ai"));
            Some(if hosted {
                BaseUrl::Hosted
            } else {
                BaseUrl::SelfHosted
            })
        }
        _ => {
            problems.push(format!(
                "the base URL `{}`{source} is not an absolute http(s) URL: write e.g. \
                 `{HOSTED_BASE_URL}` or `http://localhost:8787/v1`",
                gateway.base_url
            ));
            None
        }
    }
}

/// A self-hosted gateway refuses a request that names no provider.
fn check_routing(
    gateway: &PortkeyGateway,
    config: Option<&PortkeyConfig>,
    problems: &mut ConfigProblems,
) {
    let routed_by_config = config
        .and_then(|config| config.as_json().as_object())
        .is_some_and(|root| root.contains_key("provider") || root.contains_key("targets"));
    if gateway.provider.is_none()
        && gateway.virtual_key.is_none()
        && gateway.config_id.is_none()
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
    gateway: &PortkeyGateway,
    hosted: bool,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    let api_key = gateway
        .api_key
        .as_ref()
        .filter(|key| !key.expose().trim().is_empty());
    match api_key {
        Some(key) => set_secret(client, wire::API_KEY, key, "the Portkey API key", problems),
        None if hosted => problems.push(format!(
            "no Portkey API key: set {API_KEY_ENV} (or call `.api_key(..)`); hosted Portkey \
             ({HOSTED_BASE_URL}) refuses requests without one. For a self-hosted gateway set \
             {BASE_URL_ENV}, e.g. http://localhost:8787/v1"
        )),
        None => {}
    }
    if let Some(virtual_key) = &gateway.virtual_key {
        set_secret(
            client,
            wire::VIRTUAL_KEY,
            virtual_key,
            "the virtual key",
            problems,
        );
    }
}

/// `x-portkey-config`: the merged config (it may hold keys: sensitive), or a saved config's id.
fn set_config(
    gateway: &PortkeyGateway,
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
    } else if let Some(id) = &gateway.config_id {
        set_plain(client, wire::CONFIG, id, "config_id", problems);
    }
}

/// `x-portkey-provider`, `Authorization` and `x-portkey-custom-host`.
fn set_provider(
    gateway: &PortkeyGateway,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    if let Some(provider) = &gateway.provider {
        match check_provider(provider) {
            Ok(()) => set_plain(client, wire::PROVIDER, provider, "provider", problems),
            Err(message) => problems.push(format!("`.provider(..)`: {message}")),
        }
    }
    if let Some(key) = &gateway.provider_api_key {
        let bearer = Secret::new(format!("Bearer {}", key.expose()));
        set_secret(
            client,
            header::AUTHORIZATION,
            &bearer,
            "the provider API key",
            problems,
        );
    }
    if let Some(url) = &gateway.custom_host {
        match check_custom_host(url, DEFAULT_TRUSTED_CUSTOM_HOSTS) {
            Ok(()) => set_plain(client, wire::CUSTOM_HOST, url, "custom_host", problems),
            Err(message) => problems.push(format!("`.custom_host(..)`: {message}")),
        }
    }
}

/// The remaining SDK options, one header each.
fn set_options(
    gateway: &PortkeyGateway,
    client: &mut OpenAiCompatClient,
    problems: &mut ConfigProblems,
) {
    if let Some(timeout) = gateway.request_timeout {
        let millis = timeout.as_millis().max(1).to_string();
        set_plain(
            client,
            wire::REQUEST_TIMEOUT,
            &millis,
            "request_timeout",
            problems,
        );
    }
    if !gateway.forward_headers.is_empty() {
        let list = gateway.forward_headers.join(",");
        set_plain(
            client,
            wire::FORWARD_HEADERS,
            &list,
            "forward_headers",
            problems,
        );
    }
    if let Some(namespace) = &gateway.cache_namespace {
        set_plain(
            client,
            wire::CACHE_NAMESPACE,
            namespace,
            "cache_namespace",
            problems,
        );
    }
    if gateway.cache_force_refresh {
        client.set_header(wire::CACHE_FORCE_REFRESH, HeaderValue::from_static("true"));
    }
}

/// The config sent: the given one with cache, retry and fallback merged in,
/// checked again as a whole.
fn merged_config(gateway: &PortkeyGateway, problems: &mut ConfigProblems) -> Option<PortkeyConfig> {
    let merges = gateway.cache.is_some() || gateway.retry.is_some() || gateway.fallback.is_some();
    if gateway.config_id.is_some() {
        if gateway.config.is_some() || merges {
            problems.push(
                "`.config_id(..)` names a config saved in Portkey, which cannot be combined with \
                 `.config(..)`, `.cache(..)`, `.retry(..)` or `.fallback(..)`: put those in the \
                 saved config, or send the whole config with `.config(..)`",
            );
        }
        return None;
    }
    if gateway.fallback.is_none() && gateway.fallback_status_codes.is_some() {
        problems.push("`.fallback_on_status_codes(..)` needs `.fallback([...])`: name the models to fall back through");
    }
    if !merges {
        return gateway.config.clone();
    }
    let mut root = gateway
        .config
        .as_ref()
        .and_then(|config| config.as_json().as_object().cloned())
        .unwrap_or_default();
    if let Some(cache) = &gateway.cache {
        root.insert("cache".to_owned(), cache.to_json());
    }
    if let Some(retry) = &gateway.retry {
        root.insert("retry".to_owned(), retry.to_json());
    }
    if let Some(models) = &gateway.fallback {
        merge_fallback(gateway, models, &mut root, problems);
    }
    match PortkeyConfig::from_value(Value::Object(root)) {
        Ok(config) => Some(config),
        Err(error) => {
            for problem in error.errors() {
                let origin = match problem.path.first() {
                    Some(PathSegment::Key(key)) if key == "cache" && gateway.cache.is_some() => {
                        "`.cache(..)`"
                    }
                    Some(PathSegment::Key(key)) if key == "retry" && gateway.retry.is_some() => {
                        "`.retry(..)`"
                    }
                    Some(PathSegment::Key(key))
                        if (key == "strategy" || key == "targets")
                            && gateway.fallback.is_some() =>
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
    gateway: &PortkeyGateway,
    models: &[crate::Target],
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
    let inherited = match (&gateway.virtual_key, &gateway.provider) {
        (Some(virtual_key), _) => Inherited::VirtualKey(virtual_key),
        (None, Some(provider)) => Inherited::Provider(provider, gateway.provider_api_key.as_ref()),
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
    if let Some(codes) = &gateway.fallback_status_codes {
        strategy.insert("on_status_codes".to_owned(), Value::from(codes.clone()));
    }
    root.insert("strategy".to_owned(), Value::Object(strategy));
    root.insert("targets".to_owned(), Value::Array(targets));
}

/// Sets a header holding a credential; never echoes it in a problem.
fn set_secret(
    client: &mut OpenAiCompatClient,
    name: HeaderName,
    secret: &Secret,
    what: &str,
    problems: &mut ConfigProblems,
) {
    match HeaderValue::from_str(secret.expose()) {
        Ok(mut value) => {
            value.set_sensitive(true);
            client.set_header(name, value);
        }
        Err(_) => problems.push(format!(
            "{what} holds characters that cannot go in an HTTP header (control characters or \
             non-ASCII): check for a stray newline or quote"
        )),
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
