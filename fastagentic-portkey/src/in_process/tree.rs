//! A Portkey config compiled into a tree of the core's pieces: `Fallback`,
//! `LoadBalance`, `Conditional` for strategies; per target `Override`,
//! `ExactCache`, `Retry` and a timeout answering 408 around the provider's
//! gateway (`OpenAiGateway` or an adapter, see `transport.rs`); our
//! extensions `strategy.balance` and `circuit_breaker` pick the
//! `LoadBalance` policy and wrap a node in a `CircuitBreaker`. Parent
//! settings flow to children as Portkey's `tryTargetsRecursively` passes
//! them; credentials never do.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::Secret;
use fastagentic::cache::ExactCache;
use fastagentic::cache::semantic::{Embedder, SemanticCache};
use fastagentic::gateway::{LlmGateway, shared};
use fastagentic::llm::Extra;
use fastagentic::reliability::{
    Backoff, BreakerPolicy, CircuitBreaker, ErrorFilter, Fallback, Override, Retry, RetryPolicy,
};
use fastagentic::routing::{Balance, Conditional, LoadBalance};
use fastagentic_rules::portkey::{check_custom_host, circuit_breaker_settings};
use serde_json::{Map, Value};

use super::label::{Labelled, TriedTarget};
use super::query;
use super::status::RequestTimeout;
use super::transport::{self, AzureFields, ProviderTarget};
use super::{VirtualKeys, providers};
use crate::DEFAULT_RETRY_STATUS_CODES;

/// What compiling needs besides the config.
pub(crate) struct Env<'a> {
    pub(crate) keys: &'a VirtualKeys,
    /// The embedder of `cache.mode: "semantic"`, loaded on first use.
    pub(crate) embedder: &'a dyn Fn() -> Result<Arc<dyn Embedder>, String>,
    pub(crate) http: Option<&'a reqwest::Client>,
    /// The first retry's wait (Portkey: 1 s, doubling to 16 s).
    pub(crate) retry_base_delay: Duration,
    /// `x-portkey-custom-host`: replaces every target's `custom_host`.
    pub(crate) custom_host: Option<&'a str>,
    /// Hosts the SSRF guard lets through besides public ones (Portkey's
    /// `TRUSTED_CUSTOM_HOSTS`: loopback by default).
    pub(crate) trusted_hosts: &'a [&'a str],
}

/// What flows from a node to its targets (the child's own value wins;
/// `override_params` are merged key by key).
#[derive(Clone, Default)]
pub(crate) struct Inherited {
    pub(crate) override_params: Extra,
    pub(crate) retry: Option<Value>,
    pub(crate) cache: Option<Value>,
    pub(crate) request_timeout: Option<u64>,
    pub(crate) custom_host: Option<String>,
}

impl Inherited {
    fn below(&self, node: &Map<String, Value>) -> Self {
        let mut next = self.clone();
        if let Some(Value::Object(params)) = node.get("override_params") {
            next.override_params
                .extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(retry) = node.get("retry") {
            next.retry = Some(retry.clone());
        }
        if let Some(cache) = node.get("cache") {
            next.cache = Some(cache.clone());
        }
        if let Some(ms) = node.get("request_timeout").and_then(Value::as_u64) {
            next.request_timeout = Some(ms);
        }
        if let Some(host) = node.get("custom_host").and_then(Value::as_str) {
            next.custom_host = Some(host.to_owned());
        }
        next
    }
}

/// Compiles the node at `path` (`config`, `config.targets[1]`, ...); every
/// problem is pushed with its path. A node with a `circuit_breaker` (our
/// extension) is skipped while its circuit is open.
pub(crate) fn compile(
    node: &Value,
    path: &str,
    inherited: &Inherited,
    env: &Env<'_>,
    problems: &mut Vec<String>,
) -> Option<Arc<dyn LlmGateway>> {
    let gateway = compile_node(node, path, inherited, env, problems)?;
    let Some(breaker) = node.get("circuit_breaker") else {
        return Some(gateway);
    };
    let Some(settings) = circuit_breaker_settings(breaker) else {
        problems.push(format!(
            "{path}.circuit_breaker: not a valid circuit breaker (check the config with \
             `PortkeyConfig::from_json`)"
        ));
        return None;
    };
    let policy = BreakerPolicy::new(
        settings.failure_threshold,
        Duration::from_millis(settings.window_ms),
    )
    .cooldown(Duration::from_millis(settings.cooldown_ms));
    Some(shared(
        CircuitBreaker::new(gateway, policy).target(path.to_owned()),
    ))
}

fn compile_node(
    node: &Value,
    path: &str,
    inherited: &Inherited,
    env: &Env<'_>,
    problems: &mut Vec<String>,
) -> Option<Arc<dyn LlmGateway>> {
    let Some(object) = node.as_object() else {
        problems.push(format!("{path}: a target is an object"));
        return None;
    };
    let here = inherited.below(object);
    let Some(Value::Array(targets)) = object.get("targets") else {
        return leaf(object, path, &here, env, problems);
    };
    let children: Vec<Option<Arc<dyn LlmGateway>>> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            compile(
                target,
                &format!("{path}.targets[{i}]"),
                &here,
                env,
                problems,
            )
        })
        .collect();
    let children: Vec<Arc<dyn LlmGateway>> = children.into_iter().collect::<Option<_>>()?;
    if children.is_empty() {
        problems.push(format!("{path}: `targets` is empty"));
        return None;
    }
    let strategy = object.get("strategy");
    let mode = strategy
        .and_then(|s| s.get("mode"))
        .and_then(Value::as_str)
        .unwrap_or("single");
    let codes: Option<Vec<u16>> = strategy
        .and_then(|s| s.get("on_status_codes"))
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c.as_u64().and_then(|c| u16::try_from(c).ok()))
                .collect()
        });
    match mode {
        "single" => Some(shared(Fallback::chain(children.into_iter().take(1)))),
        "fallback" => {
            let filter = match codes {
                Some(codes) => ErrorFilter::none().statuses(codes),
                // Any non-2xx moves on (and failures without a status).
                None => ErrorFilter::all_classes().statuses(400..=599),
            };
            Some(shared(Fallback::chain(children).fallback_on(filter)))
        }
        "loadbalance" => {
            // Our extension: `strategy.balance` (the rules checked the name).
            let policy = match strategy
                .and_then(|s| s.get("balance"))
                .and_then(Value::as_str)
            {
                Some("least_latency") => Balance::LeastLatency,
                Some("least_busy") => Balance::LeastBusy,
                _ => Balance::Weighted,
            };
            let mut balance = LoadBalance::new(policy);
            for (target, child) in targets.iter().zip(children) {
                let weight = target.get("weight").and_then(Value::as_f64).unwrap_or(1.0);
                balance = balance.target(child, weight);
            }
            if let Some(codes) = codes {
                // Our extension: Portkey's gateway ignores these here.
                balance = balance.failover(ErrorFilter::none().statuses(codes));
            }
            Some(shared(balance))
        }
        "conditional" => conditional(strategy, targets, children, path, problems),
        other => {
            problems.push(format!(
                "{path}.strategy.mode: unknown strategy mode `{other}`; expected one of single, \
                 loadbalance, fallback, conditional"
            ));
            None
        }
    }
}

fn conditional(
    strategy: Option<&Value>,
    targets: &[Value],
    children: Vec<Arc<dyn LlmGateway>>,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<Arc<dyn LlmGateway>> {
    let index_of = |name: &str, at: &str, problems: &mut Vec<String>| {
        let found = targets
            .iter()
            .position(|t| t.get("name").and_then(Value::as_str) == Some(name));
        if found.is_none() {
            problems.push(format!("{path}.strategy.{at}: no target is named `{name}`"));
        }
        found
    };
    let mut router = Conditional::new(children);
    let conditions = strategy
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut ok = true;
    for (i, entry) in conditions.iter().enumerate() {
        let at = format!("conditions[{i}]");
        let then = entry
            .get("then")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let index = index_of(then, &format!("{at}.then"), problems);
        let condition = query::condition(entry.get("query").unwrap_or(&Value::Null));
        match (index, condition) {
            (Some(index), Ok(condition)) => router = router.when(condition, index),
            (_, Err(problem)) => {
                problems.push(format!("{path}.strategy.{at}.query: {problem}"));
                ok = false;
            }
            (None, _) => ok = false,
        }
    }
    if let Some(default) = strategy
        .and_then(|s| s.get("default"))
        .and_then(Value::as_str)
    {
        match index_of(default, "default", problems) {
            Some(index) => router = router.default_target(index),
            None => ok = false,
        }
    }
    ok.then(|| shared(router))
}

/// A target calling a provider: its credentials, then per Portkey's order
/// `override_params` → cache → retry → `request_timeout` → the provider.
fn leaf(
    object: &Map<String, Value>,
    path: &str,
    here: &Inherited,
    env: &Env<'_>,
    problems: &mut Vec<String>,
) -> Option<Arc<dyn LlmGateway>> {
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let own_azure = AzureFields::of(object);
    let (provider, api_key, key_url, azure) = if let Some(name) = text("virtual_key") {
        match env.keys.get(name) {
            Some(key) => (
                key.provider().to_owned(),
                key.api_key().clone(),
                key.base_url_str().map(str::to_owned),
                own_azure.or(key.azure()),
            ),
            None => {
                let known: Vec<&str> = env.keys.names().collect();
                problems.push(format!(
                    "{path}.virtual_key: no virtual key `{name}` in the key store (known: {}); \
                     add it with `VirtualKeys::insert`, the PORTKEY_VIRTUAL_KEYS variable or a \
                     key file",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ));
                return None;
            }
        }
    } else if let Some(provider) = text("provider") {
        let key = text("api_key").unwrap_or_default();
        (provider.to_owned(), Secret::new(key), None, own_azure)
    } else {
        problems.push(format!(
            "{path}: the target names no provider: give it `provider` with `api_key`, or a \
             `virtual_key` of the key store (Portkey targets never inherit credentials)"
        ));
        return None;
    };
    let kind = match providers::kind(&provider) {
        Ok(kind) => kind,
        Err(problem) => {
            problems.push(format!("{path}.provider: {problem}"));
            return None;
        }
    };
    let custom = env
        .custom_host
        .map(str::to_owned)
        .or_else(|| here.custom_host.clone());
    let base_url = match custom.or(key_url) {
        Some(url) => match check_custom_host(&url, env.trusted_hosts) {
            Ok(()) => Some(url),
            Err(problem) => {
                problems.push(format!("{path}.custom_host: {problem}"));
                return None;
            }
        },
        None => None,
    };
    let built = transport::transport(ProviderTarget {
        slug: &provider,
        kind,
        api_key,
        base_url,
        azure,
        anthropic_version: text("anthropic_version").map(str::to_owned),
        http: env.http,
    });
    let transport = match built {
        Ok(transport) => transport,
        Err(problem) => {
            problems.push(format!("{path}: {problem}"));
            return None;
        }
    };
    // The provider's own settings (keys, URLs) checked now, named by the node.
    if let Err(error) = transport.check() {
        problems.push(format!("{path}: {error}"));
        return None;
    }
    let mut gateway = transport;
    if let Some(ms) = here.request_timeout {
        gateway = shared(RequestTimeout::new(gateway, Duration::from_millis(ms)));
    }
    if let Some(retry) = &here.retry {
        gateway = retried(gateway, retry, env);
    }
    let mut caches = false;
    if let Some(cache) = &here.cache {
        let max_age = cache
            .get("max_age")
            .and_then(Value::as_u64)
            .map(Duration::from_secs);
        match cache.get("mode").and_then(Value::as_str) {
            Some("simple") => {
                let mut cached = ExactCache::new(gateway);
                if let Some(max_age) = max_age {
                    cached = cached.max_age(max_age);
                }
                gateway = shared(cached);
                caches = true;
            }
            Some("semantic") => match (env.embedder)() {
                Ok(embedder) => {
                    let mut cached = SemanticCache::with_embedder(gateway, embedder);
                    if let Some(max_age) = max_age {
                        cached = cached.max_age(max_age);
                    }
                    gateway = shared(cached);
                    caches = true;
                }
                Err(problem) => {
                    problems.push(format!("{path}.cache: {problem}"));
                    return None;
                }
            },
            _ => {}
        }
    }
    if !here.override_params.is_empty() {
        gateway = shared(Override::new(gateway, here.override_params.clone()));
    }
    let tried = TriedTarget {
        path: Arc::from(path),
        provider: Arc::from(provider.as_str()),
        cached: caches,
    };
    Some(shared(Labelled {
        inner: gateway,
        provider,
        tried,
    }))
}

/// Portkey's retry: `attempts` retries after the first call, on
/// `on_status_codes` (default 429/500/502/503/504), waiting 1, 2, 4, 8,
/// 16 s (no jitter); `Retry-After` only with `use_retry_after_header`.
fn retried(gateway: Arc<dyn LlmGateway>, retry: &Value, env: &Env<'_>) -> Arc<dyn LlmGateway> {
    let attempts = retry.get("attempts").and_then(Value::as_u64).unwrap_or(0);
    if attempts == 0 {
        return gateway;
    }
    let codes: Vec<u16> = match retry.get("on_status_codes").and_then(Value::as_array) {
        Some(codes) => codes
            .iter()
            .filter_map(|c| c.as_u64().and_then(|c| u16::try_from(c).ok()))
            .collect(),
        None => DEFAULT_RETRY_STATUS_CODES.to_vec(),
    };
    let base = env.retry_base_delay;
    let policy = RetryPolicy::new(u32::try_from(attempts.min(19)).unwrap_or(5) + 1)
        .backoff(Backoff::exponential(base, base.saturating_mul(16)))
        .retry_on(ErrorFilter::none().statuses(codes))
        .honor_retry_after(
            retry
                .get("use_retry_after_header")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
    shared(Retry::new(gateway, policy))
}
