//! The rules across a single key's type that loading checks after typing: ranges, URL and list
//! shapes, keys that need each other. Each failure names its key and where the value came from.

use super::{Config, ConfigError, Layers, MailBackend, Source};

/// Rules across a single key's type: ranges and URL shape.
pub(super) fn validate(config: &Config, layers: &Layers) -> Result<(), ConfigError> {
    let fail = |section: &str, key: &str, message: &str| {
        let source = layers
            .values
            .get(&(section.to_owned(), key.to_owned()))
            .map(|v| v.2.clone())
            .unwrap_or(Source::Default);
        Err(ConfigError::Invalid {
            key: format!("{section}.{key}"),
            origin: source,
            message: message.to_owned(),
        })
    };
    if config.database.mmap_size_mb > 1 << 20 {
        return fail(
            "database",
            "mmap_size_mb",
            "must be at most 1048576 (1 TiB)",
        );
    }
    if !(1..=64).contains(&config.database.pool_size) {
        return fail("database", "pool_size", "must be between 1 and 64");
    }
    if !(1..=config.database.pool_size).contains(&config.database.heavy_reads) {
        return fail(
            "database",
            "heavy_reads",
            "must be between 1 and database.pool_size",
        );
    }
    let public_url = &config.server.public_url;
    if !public_url.is_empty() {
        match url::Url::parse(public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return fail(
                    "server",
                    "public_url",
                    "must be empty or an http(s) URL like https://hancup.example",
                )
            }
        }
    }
    if let Err(message) = crate::web::hosts::parse_list(&config.server.allowed_hosts) {
        return fail("server", "allowed_hosts", &message);
    }
    if let Err(message) = crate::web::cors::parse_origins(&config.server.cors_origins) {
        return fail("server", "cors_origins", &message);
    }
    let a = &config.auth;
    if !(8..=128).contains(&a.password_min_length) {
        return fail("auth", "password_min_length", "must be between 8 and 128");
    }
    if !(8..=4_194_304).contains(&a.argon2_memory_kib) {
        return fail("auth", "argon2_memory_kib", "must be between 8 and 4194304");
    }
    if !(1..=100).contains(&a.argon2_iterations) {
        return fail("auth", "argon2_iterations", "must be between 1 and 100");
    }
    if !(1..=16).contains(&a.argon2_parallelism) {
        return fail("auth", "argon2_parallelism", "must be between 1 and 16");
    }
    if a.token_ttl_hours == 0 {
        return fail("auth", "token_ttl_hours", "must be at least 1");
    }
    if a.reset_ttl_minutes == 0 {
        return fail("auth", "reset_ttl_minutes", "must be at least 1");
    }
    if a.account_failure_limit == 0 || a.address_failure_limit == 0 {
        return fail(
            "auth",
            "account_failure_limit",
            "failure limits must be at least 1",
        );
    }
    if a.lockout_max_seconds < a.lockout_base_seconds {
        return fail(
            "auth",
            "lockout_max_seconds",
            "must be at least lockout_base_seconds",
        );
    }
    if let Err(message) = crate::accounts::mfa::parse_requirement(&a.require_mfa_for) {
        return fail("auth", "require_mfa_for", &message);
    }
    if config.session.idle_minutes == 0 || config.session.absolute_hours == 0 {
        return fail(
            "session",
            "idle_minutes",
            "session lifetimes must be at least 1",
        );
    }
    if config.session.purge_minutes == 0 {
        return fail("session", "purge_minutes", "must be at least 1");
    }
    if config.mail.backend == MailBackend::Smtp && config.mail.smtp_host.is_empty() {
        return fail(
            "mail",
            "smtp_host",
            "must be set when mail.backend is \"smtp\"",
        );
    }
    if config.mail.smtp_port == 0 || config.mail.smtp_port > 65535 {
        return fail("mail", "smtp_port", "must be a port number (1-65535)");
    }
    if !config.server.secret_key.is_empty() && config.server.secret_key.len() < 32 {
        return fail(
            "server",
            "secret_key",
            "must be empty or at least 32 characters",
        );
    }
    if config.server.max_body_bytes < 1024 {
        return fail("server", "max_body_bytes", "must be at least 1024");
    }
    if config.auth.hash_nice > 19 {
        return fail("auth", "hash_nice", "must be a nice value from 0 to 19");
    }
    for host in config
        .learning
        .video_hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        let ok = host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !ok {
            return fail(
                "learning",
                "video_hosts",
                "must be comma-separated host names like player.example.kr",
            );
        }
    }
    if !matches!(config.backup.replicated_by.as_str(), "" | "litestream") {
        return fail("backup", "replicated_by", "must be empty or \"litestream\"");
    }
    if config.backup.keep == 0 {
        return fail("backup", "keep", "must be at least 1");
    }
    if !config.metrics.token.is_empty() && config.metrics.token.len() < 16 {
        return fail(
            "metrics",
            "token",
            "must be empty or at least 16 characters",
        );
    }
    if config.cache.max_mb > 4096 {
        return fail("cache", "max_mb", "must be at most 4096");
    }
    Ok(())
}
