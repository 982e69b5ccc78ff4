//! The interactive API docs at `/api/docs`: a small page (a link back to the site, Swagger UI
//! reading `/api/openapi.json`) whose heavy parts — Swagger UI's script and stylesheet, taken
//! from poem-openapi's bundled copy, and the start-up script — are served from
//! `/api/docs/<version>/<file>`, where the version is a hash of the contents: those answers are
//! cached for a year as immutable, and every large body is gzip-compressed once, in the
//! background after the first client that accepts gzip asks, and sent compressed from then on.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use poem::http::{header, HeaderValue, StatusCode};
use poem::{Request, Response};
use sha2::{Digest, Sha256};

/// One body, as is and — once a background thread has compressed it — gzip-compressed.
/// Compressing the docs takes seconds in a debug build, so it never delays start-up or runs on
/// the async executor, and starts only when a client first asks for gzip; until it is done the
/// body goes out uncompressed.
struct Body {
    plain: Arc<[u8]>,
    gzip: Packed,
    content_type: &'static str,
}

impl Body {
    fn new(plain: Vec<u8>, content_type: &'static str) -> Body {
        let plain: Arc<[u8]> = plain.into();
        let gzip = compressed(&plain);
        Body {
            plain,
            gzip,
            content_type,
        }
    }

    /// The body for this request: compressed when the client accepts gzip and it is ready.
    fn answer(&self, req: &Request, cache_control: &'static str) -> Response {
        let gzip_ok = req
            .header(header::ACCEPT_ENCODING)
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let mut resp = Response::builder()
            .status(StatusCode::OK)
            .content_type(self.content_type)
            .header(header::CACHE_CONTROL, cache_control)
            .header(header::VARY, "Accept-Encoding");
        let packed = if gzip_ok {
            self.gzip.get_or_start(&self.plain)
        } else {
            None
        };
        let body: &[u8] = match packed {
            Some(packed) => {
                resp = resp.header(header::CONTENT_ENCODING, "gzip");
                packed
            }
            None => &self.plain,
        };
        resp.body(body.to_vec())
    }

    /// Starts compressing and waits until the copy exists (tests).
    #[cfg(test)]
    fn packed(&self) -> &[u8] {
        loop {
            if let Some(p) = self.gzip.get_or_start(&self.plain) {
                return p;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// A gzip copy of one content, made by a background thread the first time a client that accepts
/// gzip asks for it (never at start-up: a debug build takes seconds of CPU for the docs), and
/// filled in once done.
struct PackedSlot {
    started: std::sync::Once,
    packed: OnceLock<Vec<u8>>,
}

impl Default for PackedSlot {
    fn default() -> PackedSlot {
        PackedSlot {
            started: std::sync::Once::new(),
            packed: OnceLock::new(),
        }
    }
}

type Packed = Arc<PackedSlot>;

impl PackedSlot {
    /// The compressed copy if ready; otherwise starts making it (once) and answers `None`.
    fn get_or_start(self: &Arc<Self>, plain: &Arc<[u8]>) -> Option<&[u8]> {
        if let Some(p) = self.packed.get() {
            return Some(p);
        }
        self.started.call_once(|| {
            let (input, slot) = (plain.clone(), self.clone());
            let spawned = std::thread::Builder::new()
                .name("docs-gzip".into())
                .spawn(move || {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    // Writing to memory cannot fail.
                    if gz.write_all(&input).is_ok() {
                        if let Ok(packed) = gz.finish() {
                            let _ = slot.packed.set(packed);
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "the API docs are served uncompressed");
            }
        });
        None
    }
}

/// The slot for `plain`'s gzip copy, shared by every app in the process (tests build many).
fn compressed(plain: &Arc<[u8]>) -> Packed {
    static SLOTS: OnceLock<Mutex<HashMap<[u8; 32], Packed>>> = OnceLock::new();
    let key: [u8; 32] = Sha256::digest(plain).into();
    let mut slots = SLOTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    slots.entry(key).or_default().clone()
}

/// A year, as immutable: the URL changes whenever the contents do.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The page and the document follow the running binary: check each time.
const REVALIDATE: &str = "no-cache";

/// What `/api/docs` serves, built once at start.
pub struct Docs {
    page: Body,
    spec: Body,
    version: String,
    assets: HashMap<&'static str, Body>,
}

/// The text between `open` and the next `close` in `html`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    html.find(open)
        .map(|at| &html[at + open.len()..])
        .and_then(|rest| rest.find(close).map(|end| &rest[..end]))
        .unwrap_or("")
}

impl Docs {
    /// From poem-openapi's single-file Swagger UI page and the completed document.
    pub fn build(
        swagger_html: &str,
        spec: &str,
        spec_url: &str,
        home_url: &str,
        icon_url: &str,
    ) -> Docs {
        let css = between(swagger_html, "<style charset=\"UTF-8\">", "</style>");
        let js = between(swagger_html, "<script charset=\"UTF-8\">", "</script>");
        let init = format!(
            "SwaggerUIBundle({{ dom_id: '#ui', url: {spec_url:?}, filter: false, deepLinking: true }});\n"
        );
        let mut hash = Sha256::new();
        for part in [css, js, init.as_str()] {
            hash.update(part.as_bytes());
        }
        let version = crate::hex::encode(&hash.finalize()[..6]);
        let asset = |file: &str| format!("/api/docs/{version}/{file}");
        let page = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>hancup API · Swagger UI</title>\n\
             <link rel=\"icon\" href=\"{icon_url}\" type=\"image/svg+xml\">\n\
             <link rel=\"stylesheet\" href=\"{css_url}\">\n\
             <style>.docs-home{{display:block;padding:.75rem 1.25rem;font:600 15px/1.4 system-ui,sans-serif;\
             background:#4f46e5;color:#fff;text-decoration:none}}.docs-home:hover{{text-decoration:underline}}</style>\n\
             </head>\n<body>\n<a class=\"docs-home\" href=\"{home_url}\">← 한컵 hancup</a>\n\
             <div id=\"ui\"></div>\n<script src=\"{js_url}\"></script>\n<script src=\"{init_url}\"></script>\n\
             </body>\n</html>\n",
            css_url = asset("swagger-ui.css"),
            js_url = asset("swagger-ui-bundle.js"),
            init_url = asset("init.js"),
        );
        let mut assets = HashMap::new();
        assets.insert(
            "swagger-ui.css",
            Body::new(css.as_bytes().to_vec(), "text/css; charset=utf-8"),
        );
        assets.insert(
            "swagger-ui-bundle.js",
            Body::new(js.as_bytes().to_vec(), "text/javascript; charset=utf-8"),
        );
        assets.insert(
            "init.js",
            Body::new(init.into_bytes(), "text/javascript; charset=utf-8"),
        );
        Docs {
            page: Body::new(page.into_bytes(), "text/html; charset=utf-8"),
            spec: Body::new(spec.as_bytes().to_vec(), "application/json; charset=utf-8"),
            version,
            assets,
        }
    }

    pub fn page(&self, req: &Request) -> Response {
        self.page.answer(req, REVALIDATE)
    }

    pub fn spec(&self, req: &Request) -> Response {
        self.spec.answer(req, REVALIDATE)
    }

    /// A versioned asset; `None` for an unknown file or a version this binary does not serve.
    pub fn asset(&self, req: &Request, version: &str, file: &str) -> Option<Response> {
        if version != self.version {
            return None;
        }
        let mut resp = self.assets.get(file)?.answer(req, IMMUTABLE);
        resp.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        Some(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_served_plain_and_compressed_in_the_background() {
        let big = "swagger ".repeat(200_000);
        let html = format!(
            "<style charset=\"UTF-8\">{big}</style><script charset=\"UTF-8\">{big}</script>"
        );
        let docs = Docs::build(&html, "{}", "/api/openapi.json", "/", "/static/favicon.svg");
        let js = &docs.assets["swagger-ui-bundle.js"];
        assert_eq!(js.plain.len(), big.len());
        assert!(js.packed().len() < big.len() / 10);
    }
}
