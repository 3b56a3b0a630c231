use fastagentic_litellm::litellm_options;

fn main() {
    let models = vec!["gpt-4o"];
    let _ = litellm_options! { fallback_models: models };
}
