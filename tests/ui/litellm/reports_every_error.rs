use fastagentic_litellm::litellm_options;

fn main() {
    let _ = litellm_options! {
        fallback_models: [],
        num_retries: 0,
        timeout_secs: -1,
    };
}
