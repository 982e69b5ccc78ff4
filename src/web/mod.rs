//! What every surface shares: the application state handed to handlers, embedded assets,
//! templates, message catalogs, named routes, the response cache, the request middleware
//! (request id, overload bound, debug toolbar).
//! **Invariant:** nothing here knows a domain's rules; surfaces call domains, never each other.

pub mod assets;
pub mod auth;
pub mod cache;
pub mod cors;
pub mod csrf;
pub mod hosts;
pub mod i18n;
pub mod local_time;
pub mod middleware;
pub mod overload;
pub mod request_id;
pub mod routes;
pub mod session;
pub mod templates;
pub mod toolbar;

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::ops::metrics::Metrics;
use cache::{PartCache, ResponseCache};
use i18n::Catalogs;
use templates::Templates;

/// Given to every handler through poem's `Data`, which clones it into every request: one shared
/// allocation, so a clone is a single reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` shares.
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub catalogs: Arc<Catalogs>,
    pub templates: Arc<Templates>,
    pub cache: Arc<ResponseCache>,
    /// Visitor-independent parts of pages, keyed by (page kind, id, id); see `cache::PartCache`.
    pub parts: Arc<PartCache<(&'static str, i64, i64), minijinja::Value>>,
    /// The users of logged-in sessions by id, valid until the next commit (`Db::commits`).
    pub session_users: Arc<PartCache<i64, crate::accounts::User>>,
    pub accounts: Accounts,
    pub mailer: Mailer,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// The absolute base for links (`next`/`previous`, mailed reset links): the configured
    /// public URL, else the request's Host — but only a Host `hosts::AllowedHosts` answers
    /// (the server refuses the others before routing; checked again here so no caller can
    /// build a link to a host the operator did not list).
    pub fn base_url(&self, req: &poem::Request) -> String {
        let configured = self.config.server.public_url.trim_end_matches('/');
        if !configured.is_empty() {
            return configured.to_owned();
        }
        let allowed = hosts::AllowedHosts::from_config(&self.config.server);
        let host = req
            .header(poem::http::header::HOST)
            .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()) && allowed.allows(h))
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}
