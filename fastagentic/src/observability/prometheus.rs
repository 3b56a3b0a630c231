//! `GET /metrics`: the registry in Prometheus' text exposition format (0.0.4).

use std::fmt::Write;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use super::gateway_trees::CacheReport;
use super::histogram::HistogramSnapshot;
use super::metrics::{Metrics, Operation};

/// The content type of the text format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Answers a scrape.
pub(crate) fn metrics_response(metrics: &Metrics) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        render(metrics),
    )
        .into_response()
}

/// Every metric family, each with its `# HELP` and `# TYPE`, samples grouped
/// under it.
pub(crate) fn render(metrics: &Metrics) -> String {
    let mut out = Text(String::with_capacity(4096));
    let endpoints = metrics.endpoints();

    out.family(
        "fastagentic_requests_total",
        "counter",
        "Requests served, per endpoint and response status.",
    );
    for e in endpoints.iter() {
        for (status, count) in e.statuses() {
            let status = status.to_string();
            out.sample(
                "fastagentic_requests_total",
                &[("endpoint", e.name()), ("status", &status)],
                count,
            );
        }
    }

    out.family(
        "fastagentic_requests_in_flight",
        "gauge",
        "Requests being served (a stream until its body ends).",
    );
    for e in endpoints.iter() {
        out.sample(
            "fastagentic_requests_in_flight",
            &[("endpoint", e.name())],
            e.in_flight(),
        );
    }

    out.family(
        "fastagentic_request_duration_seconds",
        "histogram",
        "Time from receiving a request to the end of its response body.",
    );
    for e in endpoints.iter() {
        out.histogram(
            "fastagentic_request_duration_seconds",
            &[("endpoint", e.name())],
            &e.duration().snapshot(),
        );
    }

    out.family(
        "fastagentic_llm_calls_total",
        "counter",
        "LLM calls, per endpoint, model asked for, operation and outcome (ok or the error type).",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            for op in Operation::ALL {
                for (outcome, count) in m.calls(op).outcomes() {
                    out.sample(
                        "fastagentic_llm_calls_total",
                        &[
                            ("endpoint", e.name()),
                            ("model", model),
                            ("operation", op.as_str()),
                            ("outcome", outcome),
                        ],
                        count,
                    );
                }
            }
        }
    }

    out.family(
        "fastagentic_llm_call_duration_seconds",
        "histogram",
        "LLM call latency through the gateway (retries and fallbacks included; a stream until its last chunk).",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            for op in Operation::ALL {
                let snapshot = m.calls(op).duration().snapshot();
                if snapshot.count > 0 {
                    out.histogram(
                        "fastagentic_llm_call_duration_seconds",
                        &[
                            ("endpoint", e.name()),
                            ("model", model),
                            ("operation", op.as_str()),
                        ],
                        &snapshot,
                    );
                }
            }
        }
    }

    out.family(
        "fastagentic_llm_tokens_total",
        "counter",
        "Tokens the provider reported, per endpoint, model asked for and type (input or output).",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            for (kind, count) in [("input", m.input_tokens()), ("output", m.output_tokens())] {
                out.sample(
                    "fastagentic_llm_tokens_total",
                    &[("endpoint", e.name()), ("model", model), ("type", kind)],
                    count,
                );
            }
        }
    }

    out.family(
        "fastagentic_llm_cost_usd_total",
        "counter",
        "What the calls cost in US dollars (gateway figure or price table; calls of unknown price add nothing).",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            out.sample(
                "fastagentic_llm_cost_usd_total",
                &[("endpoint", e.name()), ("model", model)],
                m.cost_usd(),
            );
        }
    }

    out.family(
        "fastagentic_llm_retries_total",
        "counter",
        "Retries of LLM calls, per endpoint and the model being retried.",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            out.sample(
                "fastagentic_llm_retries_total",
                &[("endpoint", e.name()), ("model", model)],
                m.retries(),
            );
        }
    }

    out.family(
        "fastagentic_llm_fallbacks_total",
        "counter",
        "Moves to the next target of a fallback chain, per endpoint and the model tried next.",
    );
    for e in endpoints.iter() {
        for (to_model, count) in e.fallbacks().entries().iter() {
            out.sample(
                "fastagentic_llm_fallbacks_total",
                &[("endpoint", e.name()), ("to_model", to_model)],
                count.load(std::sync::atomic::Ordering::Relaxed),
            );
        }
    }

    out.family(
        "fastagentic_rate_limit_rejections_total",
        "counter",
        "LLM calls a local rate limit refused (429), per endpoint and model asked for.",
    );
    for e in endpoints.iter() {
        for (model, m) in e.models().entries().iter() {
            out.sample(
                "fastagentic_rate_limit_rejections_total",
                &[("endpoint", e.name()), ("model", model)],
                m.rate_limited(),
            );
        }
    }
    drop(endpoints);

    out.family(
        "fastagentic_circuit_state",
        "gauge",
        "Each circuit breaker's state: 1 for the state it is in, 0 for the others.",
    );
    let trees = metrics.trees().report();
    for (target, state) in &trees.circuits {
        for candidate in ["closed", "open", "half_open"] {
            out.sample(
                "fastagentic_circuit_state",
                &[("target", target), ("state", candidate)],
                u8::from(state.as_str() == candidate),
            );
        }
    }

    out.family(
        "fastagentic_rate_limit_per_minute",
        "gauge",
        "Each rate limit in the gateway trees: its budget per minute, of requests or tokens.",
    );
    for limit in &trees.limits {
        let budgets = [
            ("requests", limit.requests_per_minute.map(u64::from)),
            ("tokens", limit.tokens_per_minute),
        ];
        for (unit, budget) in budgets {
            if let Some(budget) = budget {
                out.sample(
                    "fastagentic_rate_limit_per_minute",
                    &[("node", &limit.node), ("unit", unit)],
                    budget,
                );
            }
        }
    }

    out.family(
        "fastagentic_cache_lookups_total",
        "counter",
        "Each cache in the gateway trees: lookups by outcome (hit, miss, refresh).",
    );
    for cache in &trees.caches {
        for (outcome, count) in [
            ("hit", cache.hits),
            ("miss", cache.misses),
            ("refresh", cache.refreshes),
        ] {
            out.sample(
                "fastagentic_cache_lookups_total",
                &[("node", &cache.node), ("outcome", outcome)],
                count,
            );
        }
    }
    out.family(
        "fastagentic_cache_stores_total",
        "counter",
        "Each cache in the gateway trees: answers stored.",
    );
    for cache in &trees.caches {
        out.sample(
            "fastagentic_cache_stores_total",
            &[("node", &cache.node)],
            cache.stores,
        );
    }
    semantic_caches(&mut out, &trees.caches);
    shared_store(&mut out, &metrics.shared_store());
    out.0
}

/// The semantic caches' own counts: lookups by cache status, and near
/// matches refused by each guard.
fn semantic_caches(out: &mut Text, caches: &[CacheReport]) {
    out.family(
        "fastagentic_semantic_cache_lookups_total",
        "counter",
        "Each semantic cache in the gateway trees: lookups by cache status (SEMANTIC HIT, SEMANTIC MISS).",
    );
    for cache in caches {
        let Some(semantic) = &cache.semantic else {
            continue;
        };
        for (status, count) in [
            ("SEMANTIC HIT", semantic.hits),
            ("SEMANTIC MISS", semantic.misses),
        ] {
            out.sample(
                "fastagentic_semantic_cache_lookups_total",
                &[("node", &cache.node), ("cache_status", status)],
                count,
            );
        }
    }
    out.family(
        "fastagentic_semantic_cache_guard_refusals_total",
        "counter",
        "Each semantic cache in the gateway trees: near matches refused, by the guard that refused.",
    );
    for cache in caches {
        let Some(semantic) = &cache.semantic else {
            continue;
        };
        for (guard, count) in &semantic.refusals {
            out.sample(
                "fastagentic_semantic_cache_guard_refusals_total",
                &[("node", &cache.node), ("guard", guard)],
                *count,
            );
        }
    }
}

/// The shared store's health: whether it answers, and every fallback to
/// local state (families named even without one, like every other).
fn shared_store(out: &mut Text, store: &crate::store::SharedStore) {
    out.family(
        "fastagentic_shared_store_up",
        "gauge",
        "Whether the shared store (Redis) answered its last call: 1 or 0.",
    );
    #[cfg(feature = "redis")]
    if let crate::store::SharedStore::Redis(redis) = store {
        let health = redis.health();
        out.sample(
            "fastagentic_shared_store_up",
            &[("store", health.address())],
            u8::from(health.is_up()),
        );
    }
    out.family(
        "fastagentic_shared_store_fallbacks_total",
        "counter",
        "Calls that used local state because the shared store failed, was too slow or was down, per piece and reason.",
    );
    #[cfg(feature = "redis")]
    if let crate::store::SharedStore::Redis(redis) = store {
        let health = redis.health();
        for (piece, reason, count) in health.fallbacks().entries() {
            out.sample(
                "fastagentic_shared_store_fallbacks_total",
                &[
                    ("store", health.address()),
                    ("piece", piece),
                    ("reason", reason),
                ],
                count,
            );
        }
    }
    out.family(
        "fastagentic_shared_store_recoveries_total",
        "counter",
        "Times the shared store answered again after failing.",
    );
    #[cfg(feature = "redis")]
    if let crate::store::SharedStore::Redis(redis) = store {
        let health = redis.health();
        out.sample(
            "fastagentic_shared_store_recoveries_total",
            &[("store", health.address())],
            health.recoveries(),
        );
    }
    let _ = store;
}

/// The text being written.
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.0, " {value}");
    }

    fn labels(&mut self, labels: &[(&str, &str)], le: Option<&str>) {
        let extra = le.map(|le| ("le", le));
        let mut first = true;
        for (name, value) in labels.iter().copied().chain(extra) {
            self.0.push(if first { '{' } else { ',' });
            first = false;
            self.0.push_str(name);
            self.0.push_str("=\"");
            escape_label_value(&mut self.0, value);
            self.0.push('"');
        }
        if !first {
            self.0.push('}');
        }
    }

    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &HistogramSnapshot) {
        for (bound, count) in h.buckets {
            let _ = write!(self.0, "{name}_bucket");
            self.labels(labels, Some(&bound.to_string()));
            let _ = writeln!(self.0, " {count}");
        }
        let _ = write!(self.0, "{name}_bucket");
        self.labels(labels, Some("+Inf"));
        let _ = writeln!(self.0, " {}", h.count);
        let _ = write!(self.0, "{name}_sum");
        self.labels(labels, None);
        let _ = writeln!(self.0, " {}", h.sum_seconds);
        let _ = write!(self.0, "{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.0, " {}", h.count);
    }
}

/// Label values escape `\`, `"` and line feeds.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        escape_label_value(&mut out, "a\"b\\c\nd");
        assert_eq!(out, r#"a\"b\\c\nd"#);
    }

    #[test]
    fn an_empty_registry_still_names_every_family() {
        let text = render(&Metrics::new());
        for family in [
            "fastagentic_requests_total",
            "fastagentic_request_duration_seconds",
            "fastagentic_llm_tokens_total",
            "fastagentic_circuit_state",
        ] {
            assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
        }
    }
}
