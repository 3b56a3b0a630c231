//! The dashboard's routes: the page, its assets, the login form, a JSON
//! snapshot and the live event stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures_util::stream::{self, Stream};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use super::DashboardState;
use super::access::logout_cookie;
use super::page;
use super::snapshot::snapshot;
use crate::error::AgentError;

/// Every path the dashboard serves, claimed at start-up so a clash is named.
pub(crate) const PATHS: [&str; 7] = [
    "/dashboard",
    "/dashboard/login",
    "/dashboard/logout",
    "/dashboard/snapshot",
    "/dashboard/events",
    "/dashboard/dashboard.js",
    "/dashboard/dashboard.css",
];

/// How often the live view is refreshed when no call ends (breaker states
/// and the time axis move on their own).
const REFRESH: Duration = Duration::from_secs(2);

/// The shortest time between two events, however busy the app.
const MIN_GAP: Duration = Duration::from_millis(250);

/// The dashboard's routes.
pub(crate) fn router(state: DashboardState) -> Router {
    Router::new()
        .route("/dashboard", get(show))
        .route("/dashboard/login", post(login))
        .route("/dashboard/logout", post(logout))
        .route("/dashboard/snapshot", get(json_snapshot))
        .route("/dashboard/events", get(events))
        .route("/dashboard/dashboard.js", get(|| async { page::script() }))
        .route("/dashboard/dashboard.css", get(|| async { page::style() }))
        .with_state(Arc::new(state))
}

async fn show(State(state): State<Arc<DashboardState>>, headers: HeaderMap) -> Response {
    if state.access.admits(&headers) {
        page::dashboard()
    } else {
        page::login(StatusCode::UNAUTHORIZED, None)
    }
}

/// The login form's fields.
#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    token: String,
}

async fn login(
    State(state): State<Arc<DashboardState>>,
    form: Result<Form<Login>, FormRejection>,
) -> Response {
    if !state.access.needs_token() {
        return see_dashboard(None);
    }
    let token = form.map(|Form(login)| login.token).unwrap_or_default();
    match state.access.login(&token) {
        Some(cookie) => see_dashboard(Some(cookie)),
        None => page::login(
            StatusCode::UNAUTHORIZED,
            Some("That is not the dashboard's token."),
        ),
    }
}

async fn logout() -> Response {
    see_dashboard(Some(logout_cookie()))
}

/// `303 See Other` to the dashboard, setting `cookie`.
fn see_dashboard(cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_static("/dashboard"));
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    page::private(response)
}

fn unauthorized() -> Response {
    let error = AgentError::new(
        401,
        "unauthorized",
        "the dashboard needs its token: send `Authorization: Bearer <token>` or log in at /dashboard",
    );
    page::private(error.into_response())
}

async fn json_snapshot(State(state): State<Arc<DashboardState>>, headers: HeaderMap) -> Response {
    if !state.access.admits(&headers) {
        return unauthorized();
    }
    page::private(axum::Json(snapshot(&state, 0)).into_response())
}

async fn events(State(state): State<Arc<DashboardState>>, headers: HeaderMap) -> Response {
    if !state.access.admits(&headers) {
        return unauthorized();
    }
    let stream = live(state);
    page::private(
        Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response(),
    )
}

/// Snapshots: the first with every kept call, each later one with the
/// calls since the one before; one when calls end (at most every
/// [`MIN_GAP`]) and one every [`REFRESH`] anyway. Ends when the app starts
/// shutting down, so it never holds up a drain.
fn live(state: Arc<DashboardState>) -> impl Stream<Item = Result<Event, Infallible>> {
    let latest = state.log.subscribe();
    stream::unfold(
        (state, latest, None::<u64>),
        |(state, mut latest, sent)| async move {
            if let Some(_after) = sent {
                tokio::time::sleep(MIN_GAP).await;
                let _ = tokio::time::timeout(REFRESH, latest.changed()).await;
            }
            if !state.readiness.get() {
                return None;
            }
            latest.mark_unchanged();
            let after = sent.unwrap_or(0);
            let view = snapshot(&state, after);
            let next = view.latest;
            let event = Event::default()
                .event("snapshot")
                .json_data(&view)
                .unwrap_or_else(|_| Event::default().event("snapshot").data("{}"));
            Some((Ok(event), (state, latest, Some(next))))
        },
    )
}
