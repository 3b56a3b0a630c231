use fastagentic_litellm::litellm_options;

fn main() {
    let _ = litellm_options! {};
}
