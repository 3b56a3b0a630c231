use fastagentic_litellm::litellm_options;

fn main() {
    let _ = litellm_options! { fallback_models: ["gpt-4o", "claude-3-sonnet", "gpt-4o"] };
}
