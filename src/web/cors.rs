//! CORS for the JSON API only: `server.cors_origins` lists the exact origins (scheme, host and
//! port, as a browser sends them in `Origin`) whose scripts may call `/api/`. A listed origin gets
//! its own origin echoed back with `Access-Control-Allow-Credentials: true` — never `*`, so no
//! other site can read an answer made with a visitor's cookies — and its preflight (`OPTIONS`
//! with `Access-Control-Request-Method`) is answered 204 here, before routing. A preflight from
//! any other origin is refused with 403 and no CORS header. Every `/api/` answer carries
//! `Vary: Origin` when origins are listed, so a shared cache never hands one origin's answer to
//! another. Pages, the admin and everything outside `/api/` never answer CORS at all.

use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};

/// Methods a listed origin may use (what the API's operations answer).
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a listed origin may send.
const HEADERS: &str = "Authorization, Content-Type, X-CSRFToken, Accept-Language";
/// Response headers a listed origin's script may read besides the simple ones.
const EXPOSE: &str = "Retry-After, WWW-Authenticate, X-Request-Id";
/// Seconds a browser may keep a preflight's answer.
const MAX_AGE: &str = "600";

/// The parsed `server.cors_origins`.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

/// Parses `server.cors_origins`: comma-separated `scheme://host[:port]` origins, each exact
/// (no path, no wildcard, no trailing slash), http or https.
pub fn parse_origins(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let bad = || format!("{e:?} is not an origin like https://app.example.kr (scheme, host, optional port; no path or wildcard)");
            let url = url::Url::parse(e).map_err(|_| bad())?;
            let origin = url.origin().ascii_serialization();
            let plain = matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.username().is_empty()
                && url.password().is_none()
                && url.query().is_none()
                && url.fragment().is_none()
                && !e.contains('*')
                && e.trim_end_matches('/') == origin
                && !e.ends_with('/');
            if plain {
                Ok(origin)
            } else {
                Err(bad())
            }
        })
        .collect()
}

impl CorsPolicy {
    pub fn from_list(list: &str) -> CorsPolicy {
        CorsPolicy {
            origins: parse_origins(list).unwrap_or_default(),
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

fn set(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

fn allow(resp: &mut Response, origin: &str) {
    set(resp, "access-control-allow-origin", origin);
    set(resp, "access-control-allow-credentials", "true");
}

fn vary_origin(resp: &mut Response) {
    resp.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
}

/// The middleware: see the module documentation.
pub async fn cors<E: Endpoint>(
    next: E,
    req: Request,
    policy: std::sync::Arc<CorsPolicy>,
) -> poem::Result<Response> {
    let is_api = req.uri().path().starts_with("/api/");
    if !is_api || policy.origins.is_empty() {
        return Ok(next.call(req).await?.into_response());
    }
    let origin = req.header(header::ORIGIN).map(str::to_owned);
    let listed = origin.as_deref().filter(|o| policy.allows(o));
    let preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut resp = match listed {
            Some(o) => {
                let mut r = Response::builder().status(StatusCode::NO_CONTENT).finish();
                allow(&mut r, o);
                set(&mut r, "access-control-allow-methods", METHODS);
                set(&mut r, "access-control-allow-headers", HEADERS);
                set(&mut r, "access-control-max-age", MAX_AGE);
                r
            }
            None => crate::api::json_error(StatusCode::FORBIDDEN, "Origin not allowed."),
        };
        vary_origin(&mut resp);
        return Ok(resp);
    }
    // An error becomes its answer here so that it carries the headers too (a listed origin's
    // script reads a 401's body); the matched route travels along for the metrics.
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => {
            let pattern = e.data::<PathPattern>().cloned();
            let mut r = e.into_response();
            if let Some(p) = pattern {
                r.set_data(p);
            }
            r
        }
    };
    if let Some(o) = listed {
        allow(&mut resp, o);
        set(&mut resp, "access-control-expose-headers", EXPOSE);
    }
    vary_origin(&mut resp);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::parse_origins;

    #[test]
    fn origins_are_exact() {
        assert_eq!(
            parse_origins(" https://app.example.kr, http://localhost:5173 ").unwrap(),
            vec!["https://app.example.kr", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "https://*.example.kr",
            "https://app.example.kr/",
            "https://app.example.kr/path",
            "app.example.kr",
            "ftp://app.example.kr",
            "https://u:p@app.example.kr",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_origins("").unwrap().is_empty());
    }
}
