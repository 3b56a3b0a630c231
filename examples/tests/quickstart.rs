//! `cargo run` works offline: the quickstart binary, started with no API key,
//! answers `/chat` from the demo gateway and stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn quickstart_answers_offline_and_stops_on_sigterm() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("FASTAGENTIC_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("PORTKEY_API_KEY")
        .env_remove("LITELLM_PROXY_API_BASE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the quickstart binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let started = Instant::now();
    loop {
        if http
            .get(format!("{base}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the quickstart did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let reply: Value = http
        .post(format!("{base}/chat"))
        .json(&json!({"message": "Hello!"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["model"], "fastagentic-demo", "{reply}");
    assert!(reply["reply"].as_str().unwrap().contains("Hello!"));
    assert!(reply["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let summary = http
        .post(format!("{base}/summarize"))
        .json(&json!({"text": "A long text."}))
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status().as_u16(), 200);

    let stream = http
        .post(format!("{base}/chat/stream"))
        .json(&json!({"message": "Hi"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(stream.ends_with("data: [DONE]\n\n"), "{stream}");

    let doc: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/chat", "/chat/stream", "/summarize"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the quickstart did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(exit.success(), "clean exit: {exit:?}\n{log}");
    assert!(log.contains("demo"), "the log says it is the demo: {log}");
    assert!(log.contains("stopped"), "{log}");
}

/// Starts the quickstart with `env` (every gateway variable cleared first),
/// sends one `/chat`, and returns what the mock upstream saw.
async fn chat_through_env(
    env: &[(&str, String)],
    mock: &fastagentic::testing::MockProvider,
) -> fastagentic::testing::CapturedRequest {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    command.env("FASTAGENTIC_ADDR", format!("127.0.0.1:{port}"));
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "PORTKEY_API_KEY",
        "PORTKEY_BASE_URL",
        "PORTKEY_VIRTUAL_KEY",
        "LITELLM_PROXY_API_BASE",
        "LITELLM_PROXY_API_KEY",
    ] {
        command.env_remove(var);
    }
    for (var, value) in env {
        command.env(var, value);
    }
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the quickstart starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !http
        .get(format!("{base}/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the quickstart did not become ready with {env:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = http
        .post(format!("{base}/chat"))
        .json(&json!({"message": "Hello!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let _ = child.kill();
    let _ = child.wait();
    mock.requests()
        .pop()
        .expect("the chat reached the upstream")
}

#[tokio::test]
async fn the_environment_picks_the_gateway() {
    use fastagentic::testing::MockProvider;

    let mock = MockProvider::start().await;
    let openai = chat_through_env(
        &[
            ("OPENAI_API_KEY", "sk-openai".into()),
            ("OPENAI_BASE_URL", mock.base_url()),
        ],
        &mock,
    )
    .await;
    assert_eq!(openai.header("authorization"), Some("Bearer sk-openai"));

    let litellm = chat_through_env(
        &[
            ("LITELLM_PROXY_API_BASE", mock.url()),
            ("LITELLM_PROXY_API_KEY", "sk-litellm".into()),
            ("OPENAI_API_KEY", "sk-openai".into()),
        ],
        &mock,
    )
    .await;
    assert_eq!(
        litellm.header("authorization"),
        Some("Bearer sk-litellm"),
        "LiteLLM wins over OpenAI"
    );

    let portkey = chat_through_env(
        &[
            ("PORTKEY_API_KEY", "pk-test".into()),
            ("PORTKEY_BASE_URL", mock.base_url()),
            ("PORTKEY_VIRTUAL_KEY", "openai-vk".into()),
            ("LITELLM_PROXY_API_BASE", mock.url()),
        ],
        &mock,
    )
    .await;
    assert_eq!(
        portkey.header("x-portkey-api-key"),
        Some("pk-test"),
        "Portkey wins over LiteLLM"
    );
    assert_eq!(portkey.header("x-portkey-virtual-key"), Some("openai-vk"));
}
