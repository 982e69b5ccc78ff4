//! DRF-style `next` / `previous` links: the request's own absolute URL with `page` replaced
//! (dropped for page 1), every other parameter kept.

use poem::Request;

use crate::web::AppState;

pub fn page_url(state: &AppState, req: &Request, page: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        if k != "page" {
            query.append_pair(&k, &v);
        }
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    let base = state.base_url(req);
    let path = req.uri().path();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// (next, previous) for a page of `count` results.
pub fn links(
    state: &AppState,
    req: &Request,
    page: i64,
    size: i64,
    count: i64,
) -> (Option<String>, Option<String>) {
    let next = (page * size < count).then(|| page_url(state, req, page + 1));
    let previous = (page > 1).then(|| page_url(state, req, page - 1));
    (next, previous)
}
