//! `GET /`: the observer page, one self-contained file (`observer.html`,
//! no outside assets) that draws the tree from `/tree` and redraws it as
//! `/events` says something changed, without reloading.

use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// What the page is told: whether control calls are on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Page {
    pub(super) control: bool,
}

const PAGE: &str = include_str!("observer.html");

pub(super) async fn page(Extension(page): Extension<Page>) -> Response {
    let body = if page.control {
        std::borrow::Cow::Owned(PAGE.replacen("data-control=\"off\"", "data-control=\"on\"", 1))
    } else {
        std::borrow::Cow::Borrowed(PAGE)
    };
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        // Nothing from elsewhere: the page's own script and style, and its
        // own origin's endpoints.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        ),
    ];
    (headers, body).into_response()
}
