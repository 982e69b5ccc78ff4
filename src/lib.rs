//! hancup (한컵): the website, JSON API and admin of a Korean startup-education platform, in one
//! binary with SQLite inside. This file lists the modules and builds the application state that
//! `main` and every test share. See ARCHITECTURE.md for the map and its invariants.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod fields;
pub mod hex;
pub mod learning;
pub mod mail;
pub mod markdown;
pub mod ops;
pub mod pages;
pub mod paging;
pub mod seed;
pub mod server;
pub mod textsearch;
pub mod vocab;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use config::Config;
use db::{Db, DbError};
use web::cache::{PartCache, ResponseCache};
use web::i18n::Catalogs;
use web::local_time::LocalTime;
use web::templates::Templates;
use web::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("embedded assets are broken: {0}")]
    Assets(String),
    #[error(transparent)]
    Accounts(#[from] accounts::AccountError),
    #[error("admin registration: {0}")]
    Admin(String),
}

/// Opens and migrates the database, loads catalogs and templates: everything `serve` needs.
pub fn build_state(config: Config) -> Result<AppState, StartError> {
    let db = Db::open_and_migrate(&config.database)?;
    admin::check(&db).map_err(StartError::Admin)?;
    let catalogs = Arc::new(Catalogs::load().map_err(StartError::Assets)?);
    let templates = Arc::new(
        Templates::load(catalogs.clone(), LocalTime::new(&config.i18n.time_zone))
            .map_err(|e| StartError::Assets(e.to_string()))?,
    );
    let cache = Arc::new(ResponseCache::new(
        Duration::from_millis(config.cache.ttl_ms),
        (config.cache.max_mb as usize) << 20,
    ));
    // Page parts (a lesson's sanitised text and curriculum) are a few kilobytes each: count
    // about 16 KiB apiece against the same memory budget as whole answers.
    let parts = Arc::new(PartCache::new(
        Duration::from_millis(config.cache.ttl_ms),
        (config.cache.max_mb as usize) * 64,
    ));
    // Logged-in users, remembered between commits (`web::auth`); a few hundred bytes each.
    let session_users = Arc::new(PartCache::new(
        Duration::from_millis(config.cache.ttl_ms),
        20_000,
    ));
    let accounts = accounts::Accounts::new(
        db.clone(),
        &config.auth,
        &config.session,
        &config.server.secret_key,
    )?
    .with_providers(&config);
    let mailer = mail::Mailer::new(&config.mail);
    let metrics = ops::metrics::Metrics::new();
    metrics.watch_writer_lock(db.writer_wait());
    metrics.name_routes(&api::spec_json());
    Ok(AppState::new(web::Shared {
        metrics: Arc::new(metrics),
        db,
        config: Arc::new(config),
        catalogs,
        templates,
        cache,
        parts,
        session_users,
        accounts,
        mailer,
    }))
}
