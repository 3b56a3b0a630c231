use fastagentic_litellm::litellm_options;

fn main() {
    let retries = 3;
    let _ = litellm_options! { num_retries: retries };
}
