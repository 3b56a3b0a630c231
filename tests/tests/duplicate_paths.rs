//! Two endpoints on one path stop the app at start-up, naming both definitions.

use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Out {
    ok: bool,
}

mod first {
    use super::*;
    #[agent_endpoint(path = "/same")]
    pub async fn one() -> Result<Out, AgentError> {
        Ok(Out { ok: true })
    }
}

mod second {
    use super::*;
    #[agent_endpoint(path = "/same")]
    pub async fn two() -> Result<Out, AgentError> {
        Ok(Out { ok: true })
    }
}

#[tokio::test]
async fn duplicate_paths_name_both_sites() {
    let error = App::new("Dup")
        .into_router()
        .expect_err("duplicates are refused")
        .to_string();
    assert!(error.contains("`/same`"), "{error}");
    assert!(
        error.contains("`one`") && error.contains("`two`"),
        "{error}"
    );
    assert!(
        error.contains("duplicate_paths.rs:13") && error.contains("duplicate_paths.rs:21"),
        "both sites: {error}"
    );
}

#[tokio::test]
async fn explicit_registration_of_a_distinct_set_still_works() {
    let router = App::new("One")
        .without_inventory()
        .endpoint(&first::ONE_ENDPOINT)
        .into_router();
    assert!(router.is_ok());
}
