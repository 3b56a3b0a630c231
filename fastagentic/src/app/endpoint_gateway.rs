//! One reliability tree per endpoint, built from the app's and the
//! endpoint's options in one fixed order, outermost first:
//!
//! ```text
//! the app's rate limit       (App::rate_limit: one budget shared by every endpoint on the default gateway)
//!   the endpoint's rate limit  (#[agent_endpoint(rate_limit(..))])
//!     retry                      (the endpoint's `retry`, else App::retry)
//!       the gateway                (the endpoint's own, else the app's default)
//! ```
//!
//! A limit is outside the retries, so a call counts once however often it is
//! retried. Retries do not stack: `App::retry` is a default, so an endpoint
//! whose gateway already retries keeps its gateway's retries alone; an
//! endpoint's own `retry = ..` over a gateway that retries is refused at
//! start-up, naming both.

use std::sync::Arc;

use crate::endpoint::EndpointRegistration;
use crate::error::Error;
use crate::gateway::{LlmGateway, NodeKind, walk};
use crate::reliability::{RateLimiter, Retry, RetryPolicy};

/// The app-wide options every endpoint's tree is built from.
pub(super) struct AppReliability {
    /// The default gateway.
    pub(super) default_gateway: Arc<dyn LlmGateway>,
    /// The app's rate limit over the default gateway, shared by every endpoint.
    pub(super) app_limit: Option<RateLimiter<Arc<dyn LlmGateway>>>,
    /// The app's default retry policy.
    pub(super) retry: Option<RetryPolicy>,
}

impl AppReliability {
    /// The tree `reg` calls through: its own gateway (from its factory) or
    /// the default, with its retry and rate limits, checked.
    pub(super) fn endpoint_gateway(
        &self,
        reg: &EndpointRegistration,
    ) -> Result<Arc<dyn LlmGateway>, Error> {
        let own = reg.gateway.map(|factory| factory());
        let uses_default = own.is_none();
        let base = own.unwrap_or_else(|| self.default_gateway.clone());
        let already_retries = retry_site(base.as_ref());
        let endpoint_retry = reg.retry.map(|retry| retry());
        let retry = match (endpoint_retry, &already_retries) {
            (Some(_), Some(path)) => {
                return Err(Error::Gateway {
                    context: format!("the retry of endpoint `{}` ({})", reg.name, reg.site()),
                    source: Box::new(crate::GatewayError::config(
                        base.name(),
                        format!(
                            "the endpoint sets `retry = ..` and its gateway already retries \
                             (at {path}): retries would multiply. Keep one: drop the endpoint's \
                             `retry`, or the gateway's"
                        ),
                    )),
                });
            }
            (Some(policy), None) => Some(policy),
            (None, Some(_)) => None,
            (None, None) => self.retry.clone(),
        };
        let mut tree = base;
        if let Some(policy) = retry {
            tree = Arc::new(Retry::new(tree, policy));
        }
        if let Some(limit) = reg.rate_limit {
            tree = Arc::new(RateLimiter::new(tree, limit()));
        }
        if uses_default && let Some(app_limit) = &self.app_limit {
            tree = Arc::new(app_limit.sharing(tree));
        }
        if !uses_default || reg.retry.is_some() || reg.rate_limit.is_some() {
            tree.check().map_err(|source| Error::Gateway {
                context: format!(
                    "the LLM gateway of endpoint `{}` ({})",
                    reg.name,
                    reg.site()
                ),
                source: Box::new(source),
            })?;
        }
        Ok(tree)
    }
}

/// Where in `gateway`'s tree a retry sits, if one does (`the root`, or a path).
fn retry_site(gateway: &dyn LlmGateway) -> Option<String> {
    let mut site = None;
    walk(gateway, &mut |path, kind| {
        if site.is_none() && matches!(kind, NodeKind::Retry(_)) {
            site = Some(if path.is_root() {
                "the root of its tree".to_owned()
            } else {
                format!("`{path}`")
            });
        }
    });
    site
}
