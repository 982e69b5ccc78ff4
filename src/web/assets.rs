//! Everything under `assets/` (templates, css, images, catalogs), compiled into the binary, and
//! the handler that serves `assets/static/` with long-lived caching headers.

use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{handler, IntoResponse, Response};

use crate::hex::encode as hex;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
#[exclude = "passwords/*"]
pub struct Assets;

/// `GET /static/*path`: embedded files with ETag; unknown paths are 404.
#[handler]
pub fn serve_static(Path(path): Path<String>, req: &poem::Request) -> Response {
    let Some(file) = Assets::get(&format!("static/{path}")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    Response::builder()
        .content_type(file.metadata.mimetype())
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .body(file.data.into_owned())
}
