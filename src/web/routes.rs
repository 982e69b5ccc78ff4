//! Named routes, the one place URLs are spelled (like Flask's `url_for`, Django's `reverse`):
//! the router mounts these patterns, and templates, redirects and the API's `next`/`previous`
//! links build paths from the names. A pattern's `:name` segments are filled from arguments.

/// (name, poem path pattern)
pub const ROUTES: &[(&str, &str)] = &[
    ("home", "/"),
    ("catalog", "/courses"),
    ("course_detail", "/courses/:slug"),
    ("set_language", "/lang/:code"),
    ("enroll", "/courses/:slug/enroll"),
    ("leave", "/courses/:slug/leave"),
    ("progress_delete", "/courses/:slug/progress/delete"),
    ("lesson", "/courses/:slug/lessons/:position"),
    (
        "lesson_complete",
        "/courses/:slug/lessons/:position/complete",
    ),
    ("questions", "/courses/:slug/questions"),
    ("review_create", "/courses/:slug/reviews"),
    ("review_update", "/reviews/:id"),
    ("review_delete", "/reviews/:id/delete"),
    ("question", "/questions/:id"),
    ("question_edit", "/questions/:id/edit"),
    ("question_delete", "/questions/:id/delete"),
    ("question_hide", "/questions/:id/hide"),
    ("question_accept", "/questions/:id/accept"),
    ("answer_create", "/questions/:id/answers"),
    ("answer_edit", "/answers/:id/edit"),
    ("answer_delete", "/answers/:id/delete"),
    ("answer_hide", "/answers/:id/hide"),
    ("my_courses", "/me/courses"),
    ("certificate", "/certificates/:code"),
    ("signup", "/accounts/signup"),
    ("login", "/accounts/login"),
    ("logout", "/accounts/logout"),
    ("account", "/accounts/me"),
    ("password_change", "/accounts/password"),
    ("logout_all", "/accounts/logout-all"),
    ("deactivate", "/accounts/deactivate"),
    ("password_reset", "/accounts/password-reset"),
    ("social_start", "/accounts/social/:provider/start"),
    ("social_callback", "/accounts/social/:provider/callback"),
    ("social_complete", "/accounts/social/complete"),
    ("social_unlink", "/accounts/social/:provider/unlink"),
    (
        "password_reset_confirm",
        "/accounts/password-reset/:uid/:token",
    ),
    ("static", "/static/*path"),
    ("media", "/media/*path"),
    ("admin_index", "/admin"),
    ("admin_login", "/admin/login"),
    ("admin_mfa", "/admin/login/mfa"),
    ("admin_logout", "/admin/logout"),
    ("admin_preview", "/admin/preview"),
    ("admin_list", "/admin/:model"),
    ("admin_add", "/admin/:model/add"),
    ("admin_export", "/admin/:model/export.csv"),
    ("admin_import", "/admin/:model/import"),
    ("admin_import_confirm", "/admin/:model/import/confirm"),
    ("admin_autocomplete", "/admin/:model/autocomplete"),
    ("admin_change", "/admin/:model/:id"),
    ("admin_delete", "/admin/:model/:id/delete"),
    ("admin_history", "/admin/:model/:id/history"),
    ("admin_revert", "/admin/:model/:id/history/:entry/revert"),
    ("admin_password", "/admin/:model/:id/password"),
    ("admin_upload", "/admin/:model/:id/upload/:field"),
    ("healthz", "/healthz"),
    ("readyz", "/readyz"),
    ("metrics", "/metrics"),
    ("api_root", "/api/v1"),
    ("api_courses", "/api/v1/courses"),
    ("api_course_detail", "/api/v1/courses/:slug"),
    ("api_categories", "/api/v1/categories"),
    ("api_docs", "/api/docs"),
    ("api_docs_asset", "/api/docs/:version/:file"),
    ("api_openapi", "/api/openapi.json"),
];

/// The pattern registered for `name`. Panics on an unknown name: names are constants in code,
/// and the unit test below visits every one.
pub fn pattern(name: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("unknown route name {name:?}"))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("unknown route {0:?}")]
    UnknownRoute(String),
    #[error("route {route:?} needs argument {arg:?}")]
    MissingArgument { route: String, arg: String },
}

/// Builds the path for `name`, percent-encoding each argument.
pub fn url_for(name: &str, args: &[(&str, &str)]) -> Result<String, UrlError> {
    let pat = ROUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .ok_or_else(|| UrlError::UnknownRoute(name.to_owned()))?;
    let mut out = String::with_capacity(pat.len() + 16);
    for (i, seg) in pat.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if let Some(arg) = seg.strip_prefix(':').or_else(|| seg.strip_prefix('*')) {
            let value = args
                .iter()
                .find(|(k, _)| *k == arg)
                .map(|(_, v)| *v)
                .ok_or_else(|| UrlError::MissingArgument {
                    route: name.to_owned(),
                    arg: arg.to_owned(),
                })?;
            let keep_slashes = seg.starts_with('*');
            out.push_str(&encode_segment(value, keep_slashes));
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn encode_segment(value: &str, keep_slashes: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        let plain =
            b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slashes && b == b'/');
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Path parameters that are secrets (a reset link's token): never written to the request log.
const SECRET_PARAMS: &[(&str, &str)] = &[("password_reset_confirm", "token")];

/// The path as the request log may show it: each secret parameter of a route it matches
/// replaced by `[redacted]`, everything else as it was.
pub fn redact(path: &str) -> std::borrow::Cow<'_, str> {
    for (name, param) in SECRET_PARAMS {
        let pattern: Vec<&str> = self::pattern(name).split('/').collect();
        let mut segments: Vec<&str> = path.split('/').collect();
        let matches = pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p.starts_with(':') || p == s);
        if matches {
            for (p, s) in pattern.iter().zip(segments.iter_mut()) {
                if p.strip_prefix(':') == Some(param) {
                    *s = "[redacted]";
                }
            }
            return std::borrow::Cow::Owned(segments.join("/"));
        }
    }
    std::borrow::Cow::Borrowed(path)
}

/// Encodes a query string from pairs, skipping empty values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
        out.push('=');
        out.push_str(&url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_tokens_are_redacted_and_other_paths_kept() {
        assert_eq!(
            redact("/accounts/password-reset/7/1767000000-abcdef"),
            "/accounts/password-reset/7/[redacted]"
        );
        assert_eq!(
            redact("/accounts/password-reset"),
            "/accounts/password-reset"
        );
        assert_eq!(redact("/courses/abc"), "/courses/abc");
    }

    #[test]
    fn builds_paths_and_encodes_arguments() {
        assert_eq!(url_for("home", &[]).unwrap(), "/");
        assert_eq!(
            url_for("course_detail", &[("slug", "lean-canvas-1")]).unwrap(),
            "/courses/lean-canvas-1"
        );
        assert_eq!(
            url_for("course_detail", &[("slug", "a b/c")]).unwrap(),
            "/courses/a%20b%2Fc"
        );
        assert_eq!(
            url_for("static", &[("path", "img/logo.svg")]).unwrap(),
            "/static/img/logo.svg"
        );
        assert!(matches!(
            url_for("nope", &[]),
            Err(UrlError::UnknownRoute(_))
        ));
        assert!(matches!(
            url_for("course_detail", &[]),
            Err(UrlError::MissingArgument { .. })
        ));
    }

    #[test]
    fn every_route_resolves() {
        for (name, _) in ROUTES {
            let args = [
                ("slug", "x"),
                ("code", "ko"),
                ("path", "app.css"),
                ("uid", "1"),
                ("token", "t"),
                ("position", "1"),
                ("id", "1"),
                ("model", "course"),
                ("field", "thumbnail"),
                ("version", "1"),
                ("file", "init.js"),
                ("provider", "kakao"),
                ("entry", "1"),
            ];
            assert!(url_for(name, &args).is_ok(), "{name}");
            assert!(!pattern(name).is_empty());
        }
    }

    #[test]
    fn query_strings_skip_empty_values() {
        assert_eq!(
            query_string(&[("search", "창업 기초"), ("level", ""), ("page", "2")]),
            "?search=%EC%B0%BD%EC%97%85+%EA%B8%B0%EC%B4%88&page=2"
        );
    }
}
