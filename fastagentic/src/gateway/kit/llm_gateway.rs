//! [`kit_gateway!`](crate::gateway::kit::kit_gateway): the one
//! [`LlmGateway`](crate::LlmGateway) implementation of gateways built on the kit.

/// Implements [`LlmGateway`](crate::LlmGateway) for a gateway built on the
/// kit: a tuple struct whose field `.0` is a
/// [`CompileOnce`](crate::gateway::kit::CompileOnce) of settings that compile
/// into a [`Ready`](crate::gateway::kit::Ready) form. `chat`, `chat_stream`
/// and `embed` run the kit's skeleton; `check` compiles the settings.
///
/// ```
/// use fastagentic::gateway::kit::{self, Compile, CompileOnce, Facts, Outgoing, PerRequest, Ready};
/// use fastagentic::{CallContext, GatewayError, LlmGateway, OpenAiCompatClient};
///
/// #[derive(Clone, Debug)]
/// struct Settings { base_url: kit::BaseUrl }
/// struct Compiled(OpenAiCompatClient);
///
/// impl Compile for Settings {
///     type Compiled = Compiled;
///     fn compile(&self) -> Result<Compiled, GatewayError> {
///         let example = "`http://localhost:8080/v1`";
///         self.base_url.check(example, "`.api_key(..)`")
///             .map_err(|problem| GatewayError::config("local", problem))?;
///         Ok(Compiled(OpenAiCompatClient::new("local", self.base_url.as_str())))
///     }
/// }
///
/// impl Ready for Compiled {
///     type Sent = ();
///     type Transport = OpenAiCompatClient;
///     fn client(&self) -> &OpenAiCompatClient { &self.0 }
///     fn per_request(&self, _: &CallContext, _: Outgoing<'_>) -> PerRequest<()> { PerRequest::default() }
///     fn facts(&self, _: &http::HeaderMap, _: ()) -> Facts { Facts::default() }
/// }
///
/// /// A gateway to a local OpenAI-compatible server.
/// #[derive(Clone, Debug)]
/// struct LocalGateway(CompileOnce<Settings>);
/// kit::kit_gateway!(LocalGateway, "local");
///
/// let gateway = LocalGateway(CompileOnce::new(Settings { base_url: kit::BaseUrl::given("ftp://x") }));
/// assert!(gateway.check().unwrap_err().to_string().contains("not an absolute http(s) URL"));
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! kit_gateway {
    ($gateway:ty, $name:expr) => {
        impl $crate::LlmGateway for $gateway {
            fn name(&self) -> &str {
                $name
            }

            fn chat<'a>(
                &'a self,
                call: &'a $crate::CallContext,
                request: $crate::ChatRequest,
            ) -> $crate::BoxFuture<
                'a,
                ::std::result::Result<$crate::ChatResponse, $crate::GatewayError>,
            > {
                self.0.chat(call, request)
            }

            fn chat_stream<'a>(
                &'a self,
                call: &'a $crate::CallContext,
                request: $crate::ChatRequest,
            ) -> $crate::BoxFuture<
                'a,
                ::std::result::Result<$crate::ChatStream, $crate::GatewayError>,
            > {
                self.0.chat_stream(call, request)
            }

            fn embed<'a>(
                &'a self,
                call: &'a $crate::CallContext,
                request: $crate::EmbeddingRequest,
            ) -> $crate::BoxFuture<
                'a,
                ::std::result::Result<$crate::EmbeddingResponse, $crate::GatewayError>,
            > {
                self.0.embed(call, request)
            }

            fn check(&self) -> ::std::result::Result<(), $crate::GatewayError> {
                self.0.check()
            }
        }
    };
}
