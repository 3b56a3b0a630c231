//! The page itself: one HTML file, its script and its style sheet, built
//! into the binary (no CDN, no external font: it works offline), and the
//! login form.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

const PAGE: &str = include_str!("page/dashboard.html");
const SCRIPT: &str = include_str!("page/dashboard.js");
const STYLE: &str = include_str!("page/dashboard.css");
const LOGIN: &str = include_str!("page/login.html");

/// Where the login form says what went wrong.
const LOGIN_MESSAGE: &str = "<!--message-->";

/// Only the page's own script and style; no frames, no other origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The dashboard page.
pub(crate) fn dashboard() -> Response {
    html(StatusCode::OK, PAGE.to_owned())
}

/// The login form, with `problem` (a fixed sentence, never user input) above it.
pub(crate) fn login(status: StatusCode, problem: Option<&'static str>) -> Response {
    let message = problem.map_or_else(String::new, |p| format!(r#"<p class="problem">{p}</p>"#));
    html(status, LOGIN.replace(LOGIN_MESSAGE, &message))
}

/// The script.
pub(crate) fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

/// The style sheet.
pub(crate) fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    private(response)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    private(response)
}

/// Not cached, not sniffed, no referrer, no framing.
pub(crate) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
