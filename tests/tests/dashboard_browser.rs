//! The built-in dashboard in a real browser: headless Chromium (the
//! distribution's, through `chromedriver`) loads `/dashboard` of an app
//! that served scripted traffic through the mock provider (cache hits, a
//! fallback, a failure, a circuit breaker left open) and shows what a
//! person would read: the request count, the cache hit rate, the cost and
//! the open breaker, updating live as more traffic arrives. Off loopback
//! the dashboard asks for its token.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fastagentic::Dashboard;
use fastagentic::cache::ExactCache;
use fastagentic::dashboard::TOKEN_ENV;
use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, BreakerPolicy, RetryPolicy, Target};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{ModelPrice, PriceTable, ReliableGateway};
use fastagentic_tests::peers::{Browser, ChromeDriverPeer};
use serde_json::{Value, json};

#[derive(Deserialize, JsonSchema)]
struct Ask {
    model: String,
    text: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by the on_request hook, which runs the request as this user"
    )]
    user: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    text: String,
}

/// Asks the model named in the input.
#[agent_endpoint(path = "/dash/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new(input.model).user(input.text))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
    })
}

/// Runs the request as the input's `user`, when it names one.
#[hook("on_request")]
async fn user_from_input(ctx: &HookContext) -> HookResult {
    match ctx.request().and_then(|r| r["user"].as_str()) {
        Some(user) => HookResult::SetUser(user.to_owned()),
        None => HookResult::Proceed,
    }
}

const TOKEN: &str = "dashboard-test-token-3f9a";

/// A cache in front of a primary with retries, a fallback to `backup` and a
/// breaker per target that stays open once it opens.
fn gateway(mock: &MockProvider) -> ExactCache<ReliableGateway> {
    ExactCache::new(
        ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
            .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(1))))
            .fallback([Target::model("backup")])
            .circuit_breaker(
                BreakerPolicy::new(3, Duration::from_secs(60)).cooldown(Duration::from_secs(600)),
            ),
    )
}

fn prices() -> PriceTable {
    PriceTable::empty()
        .set("gpt-4o-mini", ModelPrice::per_million(1.0, 2.0))
        .set("backup", ModelPrice::per_million(1.0, 2.0))
}

async fn post(base: &str, body: Value) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/dash/ask"))
        .json(&body)
        .send()
        .await
        .expect("the app answers")
        .status()
        .as_u16()
}

/// Three asks of one question (a miss, then two cache hits), one the
/// provider refuses (a failure), four to a dead model (each answered by the
/// fallback target; the primary's breaker opens and stays open).
async fn scripted_traffic(base: &str) {
    for _ in 0..3 {
        let body = json!({"model": "gpt-4o-mini", "text": "What is the capital of France?", "user": "alice"});
        assert_eq!(post(base, body).await, 200);
    }
    let refused = json!({"model": "bad", "text": "my key is sk-proj-ABCDEFGHIJKLMNOPQRSTUV"});
    assert_eq!(post(base, refused).await, 502);
    for i in 0..4 {
        let body = json!({"model": "down", "text": format!("question {i}"), "user": "bob"});
        assert_eq!(post(base, body).await, 200);
    }
}

fn mock_script(mock: &MockProvider) {
    mock.on_model("gpt-4o-mini", MockReply::text("Paris.").usage(1_000, 500));
    mock.on_model(
        "backup",
        MockReply::text("from the backup").usage(1_000, 500),
    );
    mock.on_model("down", MockReply::status(503));
    mock.on_model("bad", MockReply::status(400).message("no such model"));
}

/// The text of `selector`, once it equals `want` (waits up to 30 s: a busy
/// machine, and the page updates on its own schedule).
async fn wait_for_text(browser: &Browser, selector: &str, want: &str) {
    let started = Instant::now();
    let mut seen = String::new();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(element) = browser.client.find(Locator::Css(selector)).await {
            seen = element.text().await.unwrap_or_default();
            if seen.trim() == want {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let shot = browser.screenshot("dashboard-failure").await;
    panic!("`{selector}` shows {seen:?}, not {want:?}, after 30 s (screenshot: {shot:?})");
}

async fn text(browser: &Browser, selector: &str) -> String {
    browser
        .client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no `{selector}` on the page: {e}"))
        .text()
        .await
        .expect("its text")
}

async fn rows(browser: &Browser, selector: &str) -> usize {
    browser
        .client
        .find_all(Locator::Css(selector))
        .await
        .map(|rows| rows.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_dashboard_shows_the_traffic_live_in_a_real_browser() {
    let driver = ChromeDriverPeer::shared()
        .await
        .expect("headless Chromium through chromedriver");
    let mock = MockProvider::start().await;
    mock_script(&mock);
    // Bound to every interface: the dashboard must ask for its token.
    let app = App::new("Dashboard test")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .hook_fn(&USER_FROM_INPUT_HOOK)
        .llm_gateway(gateway(&mock))
        .price_table(prices())
        .dashboard(
            Dashboard::new()
                .token(TOKEN)
                .replica("replica-a")
                .show_prompts(true),
        )
        .spawn("0.0.0.0:0")
        .await
        .expect("with a token the dashboard may be served off loopback");
    let base = format!("http://127.0.0.1:{}", app.addr().port());
    scripted_traffic(&base).await;

    // Without the token: the login form, and no data.
    let http = reqwest::Client::new();
    let page = http.get(format!("{base}/dashboard")).send().await.unwrap();
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains(r#"name="token""#));
    let refused = http
        .get(format!("{base}/dashboard/snapshot"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = http
        .get(format!("{base}/dashboard/events"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // The login form: a wrong token is refused; the right one sets the cookie.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |token: &'static str| {
        no_redirects
            .post(format!("{base}/dashboard/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .send()
    };
    let wrong = login("guess").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("not the dashboard's token")
    );
    let right = login(TOKEN).await.unwrap();
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/dashboard");
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains(TOKEN),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = http
        .get(format!("{base}/dashboard/snapshot"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);

    // With it, as a header: the same numbers the page will show.
    let snapshot: Value = http
        .get(format!("{base}/dashboard/snapshot"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snapshot["requests"]["total"], 8, "{snapshot}");
    assert_eq!(snapshot["llm"]["calls"], 8);
    assert_eq!(
        snapshot["llm"]["errors_by_type"],
        json!([["upstream_error", 1]])
    );
    assert_eq!(snapshot["llm"]["fallbacks"], 4);
    assert_eq!(snapshot["cache"]["exact"]["hits"], 2);
    assert_eq!(snapshot["breakers"]["open"], 1);
    assert_eq!(snapshot["replica"], "replica-a");
    let calls = snapshot["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 8);
    let refused_call = &calls[3];
    assert_eq!(refused_call["status"], "upstream_error");
    let prompt = refused_call["prompt"].as_str().unwrap();
    assert!(prompt.contains("my key is ***"), "masked: {prompt}");
    assert!(
        !snapshot.to_string().contains("ABCDEFGHIJKLMNOP"),
        "{snapshot}"
    );
    let fallback = &calls[4];
    assert_eq!(fallback["route"], "targets[1]", "{fallback}");
    assert_eq!(fallback["passed_over"][0]["path"], "targets[0]");
    assert_eq!(fallback["answered_by"], "backup");
    assert_eq!(fallback["user"], "bob");

    // The browser: the login form, then the dashboard.
    let browser = driver
        .browser(1400, 1150)
        .await
        .expect("a Chromium session");
    browser
        .client
        .goto(&format!("{base}/dashboard"))
        .await
        .unwrap();
    let token_field = browser
        .client
        .wait()
        .for_element(Locator::Css("#token"))
        .await
        .expect("the login form asks for the token");
    browser.screenshot("dashboard-login").await.unwrap();
    token_field.send_keys(TOKEN).await.unwrap();
    browser
        .client
        .find(Locator::Css("#login button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    wait_for_text(&browser, "#live-text", "live").await;
    wait_for_text(&browser, "#stat-requests", "8").await;
    assert_eq!(text(&browser, "#stat-calls").await, "8");
    assert_eq!(text(&browser, "#stat-errors").await, "1");
    // 7 calls answered through the cache, 2 of them from it.
    assert_eq!(text(&browser, "#stat-cache").await, "28.6%");
    // 5 paid calls at $0.002; the 2 hits saved $0.004.
    assert_eq!(text(&browser, "#stat-cost").await, "$0.0100");
    assert_eq!(
        text(&browser, "#stat-cost-sub").await,
        "$0.0040 saved by caches"
    );
    assert_eq!(text(&browser, "#stat-breakers").await, "1 open");
    assert_eq!(rows(&browser, "#targets tr.breaker-open").await, 1);
    let open_row = text(&browser, "#targets tr.breaker-open").await;
    assert!(open_row.contains("targets[0]"), "{open_row}");
    assert_eq!(text(&browser, "#replica").await, "replica replica-a");
    assert_eq!(rows(&browser, "#calls tbody tr").await, 8);
    let newest = text(&browser, "#calls tbody tr:first-child").await;
    assert!(
        newest.contains("targets[0]") && newest.contains("targets[1]"),
        "{newest}"
    );
    assert!(
        newest.contains("backup") && newest.contains("bob"),
        "{newest}"
    );

    // The session cookie: HttpOnly, and the token never in the URL.
    let url = browser.client.current_url().await.unwrap();
    assert!(!url.as_str().contains(TOKEN), "{url}");
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "fastagentic_dashboard")
        .expect("the login set the session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_ne!(session.value(), TOKEN);
    let script_sees: Value = browser
        .client
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert_eq!(script_sees, "", "the page's script cannot read the session");

    let shot = browser.screenshot("dashboard").await.unwrap();
    eprintln!("screenshot: {}", shot.display());

    // More traffic: the open page follows without a reload.
    browser
        .client
        .execute("window.notReloaded = true", vec![])
        .await
        .unwrap();
    for _ in 0..2 {
        let body = json!({"model": "gpt-4o-mini", "text": "What is the capital of France?", "user": "carol"});
        assert_eq!(post(&base, body).await, 200);
    }
    wait_for_text(&browser, "#stat-requests", "10").await;
    assert_eq!(text(&browser, "#stat-cache").await, "44.4%");
    assert_eq!(rows(&browser, "#calls tbody tr").await, 10);
    let still: Value = browser
        .client
        .execute("return window.notReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(still, true, "the page updated in place");
    browser.screenshot("dashboard-live").await.unwrap();

    browser.close().await;
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn off_loopback_without_a_token_start_up_fails_naming_the_fix() {
    assert!(
        std::env::var_os(TOKEN_ENV).is_none(),
        "unset {TOKEN_ENV} to run this test: it checks what happens without a token"
    );
    let error = App::new("Public")
        .without_inventory()
        .dashboard(Dashboard::new())
        .spawn("0.0.0.0:0")
        .await
        .expect_err("an open dashboard off loopback is refused");
    let message = error.to_string();
    assert!(message.contains(TOKEN_ENV), "{message}");
    assert!(message.contains("Dashboard::token"), "{message}");
    assert!(message.contains("not a loopback address"), "{message}");

    let error = App::new("Embedded")
        .without_inventory()
        .dashboard(Dashboard::new())
        .into_router()
        .expect_err("into_router cannot know the address: it needs a token");
    assert!(error.to_string().contains(TOKEN_ENV), "{error}");
}

#[tokio::test]
async fn on_loopback_it_is_open_off_by_default_and_independent_of_metrics() {
    let open = App::new("Local")
        .without_inventory()
        .metrics(false)
        .dashboard(Dashboard::new())
        .spawn("127.0.0.1:0")
        .await
        .expect("no token needed on loopback");
    let page = reqwest::get(format!("{}/dashboard", open.url()))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained: {html}"
    );
    for asset in ["/dashboard/dashboard.js", "/dashboard/dashboard.css"] {
        let body = reqwest::get(format!("{}{asset}", open.url()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !body.contains("https://"),
            "{asset} loads nothing from elsewhere"
        );
    }
    let snapshot = reqwest::get(format!("{}/dashboard/snapshot", open.url()))
        .await
        .unwrap();
    assert_eq!(snapshot.status(), 200);
    let metrics = reqwest::get(format!("{}/metrics", open.url()))
        .await
        .unwrap();
    assert_eq!(metrics.status(), 404, "metrics(false) still hides /metrics");
    open.shutdown().await.unwrap();

    let plain = App::new("Plain")
        .without_inventory()
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let page = reqwest::get(format!("{}/dashboard", plain.url()))
        .await
        .unwrap();
    assert_eq!(page.status(), 404, "off by default");
    plain.shutdown().await.unwrap();
}
