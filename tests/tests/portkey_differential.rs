//! The drop-in route against the REAL Portkey gateway (npm
//! `@portkey-ai/gateway` 1.15.2, started by the test support): the same
//! requests with the same `x-portkey-*` headers go to both, each in front
//! of its own identically scripted `MockProvider`s, and per request the
//! test asserts the same status, the same calls per mock (which provider
//! got the call, and how often), the same route path
//! (`x-portkey-last-used-option-index`), retry count, cache status, provider
//! and trace id (on failures too), and on errors the same JSON body.
//!
//! Where we differ on purpose the test asserts the difference: the cache
//! (Portkey's open-source build answers `DISABLED` and calls upstream; we
//! answer `HIT`), and `loadbalance` + `on_status_codes` (Portkey ignores
//! the codes; we fail over to the sibling).
//!
//! Portkey's retry backoff is 1, 2, 4 s: retry scenarios keep attempts at 1.
//! These tests fail (never skip) when the gateway cannot be installed or started.

use std::time::Duration;

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{App, ServerHandle};
use fastagentic_portkey::{PortkeyDropIn, VirtualKeys};
use fastagentic_tests::peers::PortkeyPeer;
use serde_json::{Value, json};

/// One mock's script: replies served in order, then the default.
#[derive(Clone)]
struct Script {
    queue: Vec<MockReply>,
    default: MockReply,
}

fn ok(text: &str) -> Script {
    Script {
        queue: Vec::new(),
        default: MockReply::text(text),
    }
}

fn failing(status: u16) -> Script {
    Script {
        queue: Vec::new(),
        default: MockReply::status(status),
    }
}

fn then_ok(first: Vec<MockReply>, text: &str) -> Script {
    Script {
        queue: first,
        default: MockReply::text(text),
    }
}

/// One request of a scenario.
#[derive(Clone, Default)]
struct Req {
    model: &'static str,
    metadata: Option<&'static str>,
    stream: bool,
}

fn req(model: &'static str) -> Req {
    Req {
        model,
        ..Req::default()
    }
}

/// What one side answered, and what its mocks saw.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: u16,
    /// `x-portkey-last-used-option-index` (on failures too: the target tried last).
    path: Option<String>,
    /// `x-portkey-retry-attempt-count`.
    retries: Option<String>,
    /// `x-portkey-provider`.
    provider: Option<String>,
    /// `x-portkey-cache-status`.
    cache_status: Option<String>,
    /// On errors: the body, as JSON.
    error_body: Option<Value>,
    /// `x-portkey-trace-id` (each request sends `trace-1`).
    trace_id: Option<String>,
    /// Calls per mock, and the models each was asked for.
    calls: Vec<Vec<String>>,
}

/// A side: the drop-in app or the real gateway, with its own mocks.
struct Side {
    chat_url: String,
    mocks: Vec<MockProvider>,
    http: reqwest::Client,
    _app: Option<ServerHandle>,
}

impl Side {
    async fn new(chat_url: String, scripts: &[Script], app: Option<ServerHandle>) -> Self {
        let mut mocks = Vec::new();
        for script in scripts {
            let mock = MockProvider::start().await;
            for reply in &script.queue {
                mock.push(reply.clone());
            }
            mock.set_default(script.default.clone());
            mocks.push(mock);
        }
        Self {
            chat_url,
            mocks,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            _app: app,
        }
    }

    fn hosts(&self) -> Vec<String> {
        self.mocks.iter().map(MockProvider::base_url).collect()
    }

    async fn send(&self, config: &Value, request: &Req) -> (Outcome, reqwest::header::HeaderMap) {
        for mock in &self.mocks {
            mock.clear_requests();
        }
        let mut body =
            json!({"model": request.model, "messages": [{"role": "user", "content": "hi"}]});
        if request.stream {
            body["stream"] = json!(true);
        }
        let mut http = self
            .http
            .post(&self.chat_url)
            .header("x-portkey-config", config.to_string())
            .header("x-portkey-trace-id", "trace-1")
            .json(&body);
        if let Some(metadata) = request.metadata {
            http = http.header("x-portkey-metadata", metadata);
        }
        let response = http.send().await.expect("an answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        let error_body =
            (status >= 400).then(|| serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null));
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let outcome = Outcome {
            status,
            path: header("x-portkey-last-used-option-index"),
            provider: header("x-portkey-provider"),
            error_body,
            trace_id: header("x-portkey-trace-id"),
            retries: header("x-portkey-retry-attempt-count"),
            cache_status: header("x-portkey-cache-status"),
            calls: self
                .mocks
                .iter()
                .map(|m| {
                    m.requests()
                        .iter()
                        .map(|r| r.model().unwrap_or("?").to_owned())
                        .collect()
                })
                .collect(),
        };
        (outcome, headers)
    }
}

/// The real gateway and the drop-in, each with mocks scripted by `scripts`.
async fn sides(scripts: &[Script]) -> (Side, Side) {
    let portkey = PortkeyPeer::shared()
        .await
        .expect("the real Portkey gateway is needed for this test");
    let real = Side::new(
        format!("{}/chat/completions", portkey.v1_url()),
        scripts,
        None,
    )
    .await;
    let app = App::new("drop-in")
        .without_inventory()
        .mount(
            PortkeyDropIn::new(VirtualKeys::new())
                .client_configs(true)
                .client_custom_hosts(true)
                .retry_base_delay(Duration::from_millis(5)),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let ours = Side::new(
        format!("{}/v1/chat/completions", app.url()),
        scripts,
        Some(app),
    )
    .await;
    (real, ours)
}

/// A target calling mock `i` of the side whose hosts are `hosts`.
fn target(hosts: &[String], i: usize) -> Value {
    json!({"provider": "openai", "api_key": format!("sk-{i}"), "custom_host": hosts[i]})
}

/// Runs `requests` on both sides and asserts the same outcome per request;
/// returns the outcomes (the real gateway's) for the scenario's own checks.
async fn differential(
    scripts: &[Script],
    config: impl Fn(&[String]) -> Value,
    requests: &[Req],
) -> Vec<Outcome> {
    let (real, ours) = sides(scripts).await;
    let (real_config, our_config) = (config(&real.hosts()), config(&ours.hosts()));
    let mut outcomes = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let (theirs, _) = real.send(&real_config, request).await;
        let (mine, _) = ours.send(&our_config, request).await;
        assert_eq!(
            mine, theirs,
            "request {i}: the drop-in (left) and the real Portkey gateway (right) differ; config {real_config}"
        );
        outcomes.push(theirs);
    }
    outcomes
}

fn calls(outcome: &Outcome) -> Vec<usize> {
    outcome.calls.iter().map(Vec::len).collect()
}

#[tokio::test]
async fn fallback_moves_on_after_any_error_by_default() {
    let out = differential(
        &[failing(503), failing(400), ok("third")],
        |h| json!({"strategy": {"mode": "fallback"}, "targets": [target(h, 0), target(h, 1), target(h, 2)]}),
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 200);
    assert_eq!(out[0].path.as_deref(), Some("config.targets[2]"));
    assert_eq!(calls(&out[0]), [1, 1, 1]);
}

#[tokio::test]
async fn fallback_on_status_codes_narrows_when_it_moves_on() {
    let out = differential(
        &[failing(503), ok("second")],
        |h| json!({"strategy": {"mode": "fallback", "on_status_codes": [429]}, "targets": [target(h, 0), target(h, 1)]}),
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 503, "503 is not a fallback code here");
    assert_eq!(calls(&out[0]), [1, 0]);
    let out = differential(
        &[failing(429), ok("second")],
        |h| json!({"strategy": {"mode": "fallback", "on_status_codes": [429, 503]}, "targets": [target(h, 0), target(h, 1)]}),
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[1]"));
}

#[tokio::test]
async fn every_fallback_target_failing_answers_the_last_status() {
    let out = differential(
        &[failing(500), failing(502)],
        |h| json!({"strategy": {"mode": "fallback"}, "targets": [target(h, 0), target(h, 1)]}),
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 502);
}

#[tokio::test]
async fn nested_strategies_report_the_nested_path() {
    let out = differential(
        &[failing(500), ok("inner second"), ok("outer second")],
        |h| {
            json!({"strategy": {"mode": "fallback"}, "targets": [
                {"strategy": {"mode": "fallback"}, "targets": [target(h, 0), target(h, 1)]},
                target(h, 2)
            ]})
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[0].targets[1]"));
    assert_eq!(calls(&out[0]), [1, 1, 0]);
}

#[tokio::test]
async fn retries_are_counted_and_run_out_alike() {
    let out = differential(
        &[then_ok(vec![MockReply::status(503)], "after a retry")],
        |h| {
            let mut t = target(h, 0);
            t["retry"] = json!({"attempts": 1});
            t
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 200);
    assert_eq!(out[0].retries.as_deref(), Some("1"));
    assert_eq!(calls(&out[0]), [2]);
    let out = differential(
        &[failing(503)],
        |h| {
            let mut t = target(h, 0);
            t["retry"] = json!({"attempts": 1});
            t
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 503);
    assert_eq!(out[0].retries.as_deref(), Some("-1"), "retries ran out");
    assert_eq!(calls(&out[0]), [2]);
}

#[tokio::test]
async fn retry_on_status_codes_limits_what_is_retried() {
    let out = differential(
        &[failing(503), ok("unused")],
        |h| {
            let mut t = target(h, 0);
            t["retry"] = json!({"attempts": 1, "on_status_codes": [429]});
            t
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 503);
    assert_eq!(
        calls(&out[0]),
        [1, 0],
        "503 is not retried when only 429 is"
    );
}

#[tokio::test]
async fn retry_inside_fallback_retries_each_target() {
    let out = differential(
        &[failing(503), ok("second")],
        |h| {
            json!({"retry": {"attempts": 1}, "strategy": {"mode": "fallback"},
                   "targets": [target(h, 0), target(h, 1)]})
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[1]"));
    assert_eq!(
        calls(&out[0]),
        [2, 1],
        "the first target retried once, then fell back"
    );
    assert_eq!(
        out[0].retries.as_deref(),
        Some("0"),
        "the last target's retries"
    );
}

#[tokio::test]
async fn override_params_reach_the_provider_and_the_childs_win() {
    let out = differential(
        &[failing(503), ok("second")],
        |h| {
            let mut second = target(h, 1);
            second["override_params"] = json!({"model": "child-model"});
            json!({"override_params": {"model": "parent-model"}, "strategy": {"mode": "fallback"},
                   "targets": [target(h, 0), second]})
        },
        &[req("request-model")],
    )
    .await;
    assert_eq!(
        out[0].calls,
        [
            vec!["parent-model".to_owned()],
            vec!["child-model".to_owned()]
        ]
    );
}

#[tokio::test]
async fn conditional_routing_by_metadata() {
    let out = differential(
        &[ok("premium"), ok("standard")],
        |h| {
            let (mut premium, mut standard) = (target(h, 0), target(h, 1));
            premium["name"] = json!("premium");
            standard["name"] = json!("standard");
            json!({"strategy": {"mode": "conditional",
                                "conditions": [{"query": {"metadata.tier": {"$eq": "premium"}}, "then": "premium"}],
                                "default": "standard"},
                   "targets": [premium, standard]})
        },
        &[
            Req { metadata: Some(r#"{"tier": "premium"}"#), ..req("m") },
            Req { metadata: Some(r#"{"tier": "free"}"#), ..req("m") },
            req("m"),
        ],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[0]"));
    assert_eq!(out[1].path.as_deref(), Some("config.targets[1]"));
    assert_eq!(out[2].path.as_deref(), Some("config.targets[1]"));
}

#[tokio::test]
async fn conditional_routing_by_params_and_no_match() {
    let named = |h: &[String]| {
        let (mut a, mut b) = (target(h, 0), target(h, 1));
        a["name"] = json!("big");
        b["name"] = json!("small");
        (a, b)
    };
    let out = differential(
        &[ok("big"), ok("small")],
        |h| {
            let (a, b) = named(h);
            json!({"strategy": {"mode": "conditional",
                                "conditions": [{"query": {"params.model": {"$in": ["gpt-4", "gpt-4o"]}}, "then": "big"}],
                                "default": "small"},
                   "targets": [a, b]})
        },
        &[req("gpt-4o"), req("gpt-4o-mini")],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[0]"));
    assert_eq!(out[1].path.as_deref(), Some("config.targets[1]"));
    let out = differential(
        &[ok("big"), ok("small")],
        |h| {
            let (a, b) = named(h);
            json!({"strategy": {"mode": "conditional",
                                "conditions": [{"query": {"params.model": {"$eq": "gpt-4"}}, "then": "big"}]},
                   "targets": [a, b]})
        },
        &[req("other")],
    )
    .await;
    assert_eq!(
        out[0].status, 400,
        "no condition matched and there is no default"
    );
    assert_eq!(calls(&out[0]), [0, 0]);
}

#[tokio::test]
async fn request_timeout_answers_408_then_the_fallback_decides() {
    let slow = Script {
        queue: Vec::new(),
        default: MockReply::text("late").delay(Duration::from_millis(1500)),
    };
    let out = differential(
        &[slow.clone(), ok("in time")],
        |h| json!({"request_timeout": 300, "strategy": {"mode": "fallback"}, "targets": [target(h, 0), target(h, 1)]}),
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].path.as_deref(), Some("config.targets[1]"));
    let out = differential(
        &[slow],
        |h| {
            let mut t = target(h, 0);
            t["request_timeout"] = json!(300);
            t
        },
        &[req("m")],
    )
    .await;
    assert_eq!(out[0].status, 408);
}

#[tokio::test]
async fn streaming_falls_back_before_the_stream_starts() {
    let out = differential(
        &[
            failing(503),
            Script {
                queue: Vec::new(),
                default: MockReply::stream(["a", "b"]),
            },
        ],
        |h| json!({"strategy": {"mode": "fallback"}, "targets": [target(h, 0), target(h, 1)]}),
        &[Req {
            stream: true,
            ..req("m")
        }],
    )
    .await;
    assert_eq!(out[0].status, 200);
    assert_eq!(out[0].path.as_deref(), Some("config.targets[1]"));
}

/// How many of `n` requests each target of a 3:1 loadbalance answered, per side.
#[tokio::test]
async fn loadbalance_follows_weights_within_tolerance() {
    const N: usize = 120;
    let (real, ours) = sides(&[ok("heavy"), ok("light")]).await;
    let config = |h: &[String]| {
        let (mut a, mut b) = (target(h, 0), target(h, 1));
        a["weight"] = json!(0.75);
        b["weight"] = json!(0.25);
        json!({"strategy": {"mode": "loadbalance"}, "targets": [a, b]})
    };
    for side in [&real, &ours] {
        let config = config(&side.hosts());
        let mut heavy = 0;
        for _ in 0..N {
            let (outcome, _) = side.send(&config, &req("m")).await;
            assert_eq!(outcome.status, 200);
            if outcome.path.as_deref() == Some("config.targets[0]") {
                heavy += 1;
            }
        }
        // Binomial(120, 0.75): mean 90, sd 4.7; 70..=110 is beyond 4 sd.
        assert!(
            (70..=110).contains(&heavy),
            "{heavy} of {N} went to the 0.75 target"
        );
    }
}

#[tokio::test]
async fn on_purpose_the_cache_is_on_here_and_off_in_portkeys_build() {
    let (real, ours) = sides(&[ok("cached")]).await;
    let config = |h: &[String]| {
        let mut t = target(h, 0);
        t["cache"] = json!({"mode": "simple"});
        t
    };
    let statuses = |headers: &reqwest::header::HeaderMap| {
        headers
            .get("x-portkey-cache-status")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_owned()
    };
    let real_config = config(&real.hosts());
    let (first, h1) = real.send(&real_config, &req("m")).await;
    let (second, h2) = real.send(&real_config, &req("m")).await;
    assert_eq!(
        (statuses(&h1), statuses(&h2)),
        ("DISABLED".into(), "DISABLED".into())
    );
    assert_eq!(
        (calls(&first), calls(&second)),
        (vec![1], vec![1]),
        "Portkey calls upstream twice"
    );
    let our_config = config(&ours.hosts());
    let (first, h1) = ours.send(&our_config, &req("m")).await;
    let (second, h2) = ours.send(&our_config, &req("m")).await;
    assert_eq!(
        (statuses(&h1), statuses(&h2)),
        ("MISS".into(), "HIT".into())
    );
    assert_eq!(
        (calls(&first), calls(&second)),
        (vec![1], vec![0]),
        "we answer the repeat from the cache"
    );
}

#[tokio::test]
async fn on_purpose_loadbalance_with_on_status_codes_fails_over_here() {
    const N: usize = 16;
    let (real, ours) = sides(&[failing(503), ok("healthy")]).await;
    let config = |h: &[String]| {
        json!({"strategy": {"mode": "loadbalance", "on_status_codes": [503]},
               "targets": [target(h, 0), target(h, 1)]})
    };
    let mut real_failures = 0;
    let real_config = config(&real.hosts());
    for _ in 0..N {
        let (outcome, _) = real.send(&real_config, &req("m")).await;
        real_failures += usize::from(outcome.status == 503);
    }
    // Half the picks go to the failing target: P(none of 16) = 1.5e-5.
    assert!(
        real_failures > 0,
        "Portkey makes one pick, with no failover"
    );
    let our_config = config(&ours.hosts());
    for _ in 0..N {
        let (outcome, _) = ours.send(&our_config, &req("m")).await;
        assert_eq!(
            outcome.status, 200,
            "we fail over to the sibling on a listed status"
        );
    }
}
