use fastagentic::App;
use fastagentic_litellm::LiteLLMGateway;

fn main() {
    let _ = App::new("My Agent").llm_gateway(LiteLLMGateway::new().fallback_models([]));
}
