//! `Runnable`: a reusable agent object an endpoint can delegate to.

use crate::context::AgentContext;
use crate::error::AgentError;
use crate::gateway::BoxFuture;

/// A reusable agent: an object that turns an input into an output, built once
/// and shared by every request (the Rust form of the `runnable=` objects the
/// Python FastAgentic passes to `@agent_endpoint`).
///
/// Serve one with `#[agent_endpoint(path = "...", runnable = <expr>)]` on a
/// body-less function that gives the types:
///
/// ```ignore
/// #[agent_endpoint(path = "/summarize", runnable = Summarizer::new("gpt-4o-mini"))]
/// async fn summarize(ctx: AgentContext, input: Document) -> Result<Summary, AgentError>;
/// ```
///
/// The expression is evaluated once, at start-up.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a runnable agent for input `{I}` and output `{O}`",
    label = "this must implement `fastagentic::Runnable<{I}, {O}>`",
    note = "implement `Runnable<Input, Output>` for your agent type; the endpoint function's parameter and return types give `Input` and `Output`"
)]
pub trait Runnable<I, O>: Send + Sync + 'static {
    /// Runs the agent once.
    fn run(&self, ctx: AgentContext, input: I) -> BoxFuture<'_, Result<O, AgentError>>;
}

impl<I, O, R: Runnable<I, O> + ?Sized> Runnable<I, O> for std::sync::Arc<R> {
    fn run(&self, ctx: AgentContext, input: I) -> BoxFuture<'_, Result<O, AgentError>> {
        (**self).run(ctx, input)
    }
}

impl<I, O, R: Runnable<I, O> + ?Sized> Runnable<I, O> for Box<R> {
    fn run(&self, ctx: AgentContext, input: I) -> BoxFuture<'_, Result<O, AgentError>> {
        (**self).run(ctx, input)
    }
}
