//! Configuration: every key declared once in `config_keys!` (doc, type, env name), loaded in a
//! fixed order — the embedded `config.toml` defaults, then `--config FILE`, then
//! `HANCUP_<SECTION>__<KEY>` environment variables — and validated with errors that name the key.
//! It knows nothing of HTTP or SQL; it only turns text into typed settings.

use std::collections::BTreeMap;
use std::fmt;
mod rules;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use values::{
    ConfigValue, Language, LogFormat, LogLevel, MailBackend, SmtpSecurity, Synchronous, ZoneName,
};

/// The documented defaults, compiled into the binary so it runs with no file at all.
pub const DEFAULTS_TOML: &str = include_str!("../../config.toml");

/// Where a key's value came from; `hancup check` prints it next to the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(name) => write!(f, "env {name}"),
        }
    }
}

/// A configuration problem; start-up stops with exit code 2 and this message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("unknown config key `{key}` (from {origin})")]
    UnknownKey { key: String, origin: Source },
    #[error("invalid value for `{key}` (from {origin}): {message}")]
    Invalid {
        key: String,
        origin: Source,
        message: String,
    },
}

/// Describes one key for `hancup check` and the README table.
#[derive(Debug, Clone, Copy)]
pub struct KeyInfo {
    pub section: &'static str,
    pub key: &'static str,
    pub kind: &'static str,
    pub doc: &'static str,
}

impl KeyInfo {
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }
    pub fn env_name(&self) -> String {
        format!(
            "HANCUP_{}__{}",
            self.section.replace('.', "_").to_ascii_uppercase(),
            self.key.to_ascii_uppercase()
        )
    }
}

/// Declares every key once: the typed structs, the key table and the loader come from here.
/// A section's name in the file: its field name, or the dotted path given after `@`.
macro_rules! section_name {
    ($section:ident) => {
        stringify!($section)
    };
    ($section:ident $name:literal) => {
        $name
    };
}

macro_rules! config_keys {
    ($( $section:ident $(@ $name:literal)? : $sstruct:ident { $( $(#[doc = $doc:literal])+ $key:ident : $ty:ty ),+ $(,)? } )+) => {
        $(
            #[derive(Debug, Clone)]
            pub struct $sstruct { $( pub $key: $ty ),+ }

            impl $sstruct {
                /// The section's name in the file (`auth`, `auth.providers.kakao`).
                pub const SECTION: &'static str = section_name!($section $($name)?);
            }
        )+

        /// The typed configuration every part of the program reads.
        #[derive(Debug, Clone)]
        pub struct Config { $( pub $section: $sstruct ),+ }

        pub const KEYS: &[KeyInfo] = &[
            $( $( KeyInfo {
                section: $sstruct::SECTION,
                key: stringify!($key),
                kind: <$ty as ConfigValue>::KIND,
                doc: concat!($($doc),+),
            }, )+ )+
        ];

        impl Config {
            fn from_layers(layers: &Layers) -> Result<Config, ConfigError> {
                Ok(Config { $( $section: $sstruct { $(
                    $key: layers.get::<$ty>($sstruct::SECTION, stringify!($key))?,
                )+ } ),+ })
            }

            /// Each key with its value as text, for `hancup check`.
            pub fn describe(&self) -> Vec<(String, String)> {
                vec![ $( $( (
                    format!("{}.{}", $sstruct::SECTION, stringify!($key)),
                    ConfigValue::show(&self.$section.$key),
                ), )+ )+ ]
            }
        }
    };
}

config_keys! {
    server: ServerConfig {
        /// Address and port to listen on.
        bind: SocketAddr,
        /// Public base URL for absolute links; empty derives it from the request's Host (only one of `allowed_hosts`).
        public_url: String,
        /// Host headers answered besides public_url's host and loopback, comma-separated (`.example.com` = with subdomains); others get 400.
        allowed_hosts: String,
        /// Origins (`https://app.example.kr`, exact, comma-separated) whose scripts may call `/api/` with credentials; empty = no CORS.
        cors_origins: String,
        /// Debug toolbar on pages, Server-Timing and X-Sql-Statements headers; loopback binds only.
        debug: bool,
        /// Allow `debug` on a non-loopback bind (like `serve --force-debug`).
        debug_allow_public: bool,
        /// Seconds to let in-flight requests finish on SIGINT/SIGTERM.
        shutdown_grace_seconds: u64,
        /// Largest request body accepted, in bytes (413 above).
        max_body_bytes: u64,
        /// Key for reset links and API token hashes; empty generates one kept in the database.
        secret_key: String,
        /// Requests served at once; past it 503 with Retry-After. 0 = no bound.
        max_concurrent_requests: u64,
        /// Seconds a connection may stay silent (no bytes either way) before it is closed; 0 = never.
        idle_timeout_seconds: u64,
        /// Seconds a client has to send a whole request head; also how long an idle keep-alive
        /// connection is kept. 0 = no deadline.
        header_timeout_seconds: u64,
        /// Seconds a client has to send a whole request body, read before the request counts
        /// against `max_concurrent_requests` (408 after it). 0 = no deadline.
        body_timeout_seconds: u64,
        /// Set SO_REUSEPORT so a new process can bind the same address while the old one drains.
        reuse_port: bool,
    }
    metrics: MetricsConfig {
        /// Bearer token for `/metrics`; empty allows only direct loopback clients.
        token: String,
    }
    backup: BackupConfig {
        /// Minutes between scheduled backups taken by the server; 0 = off.
        interval_minutes: u64,
        /// Directory for scheduled and default backups, relative to the working directory.
        dir: PathBuf,
        /// Scheduled backups kept; older ones are deleted.
        keep: u64,
        /// `litestream` when Litestream replicates the database (accepted by `check --deploy`
        /// instead of backups; `restore` then asks for Litestream to be stopped); empty = none.
        replicated_by: String,
    }
    database: DatabaseConfig {
        /// SQLite file, relative to the working directory; created on first start.
        path: PathBuf,
        /// Pooled connections.
        pool_size: u64,
        /// Milliseconds a connection waits on a locked database.
        busy_timeout_ms: u64,
        /// MiB of the database file read through memory mapping (0 = plain reads).
        mmap_size_mb: u64,
        /// `normal` or `full` (what each may lose: docs/OPERATIONS.md).
        synchronous: Synchronous,
        /// Heavy reads (admin change lists and CSV exports, searches, metrics scrapes) run at
        /// once, each on a blocking thread; the rest wait for a slot.
        heavy_reads: u64,
    }
    auth: AuthConfig {
        /// Shortest password accepted, in characters.
        password_min_length: u64,
        /// argon2id memory in KiB.
        argon2_memory_kib: u64,
        /// argon2id iterations.
        argon2_iterations: u64,
        /// argon2id lanes.
        argon2_parallelism: u64,
        /// Password hashes computed at once; 0 means the number of CPU cores.
        hash_concurrency: u64,
        /// Milliseconds a login waits for a hashing slot before 503.
        hash_wait_ms: u64,
        /// Nice value of the hashing threads (0–19; 0 = the server's own priority).
        hash_nice: u64,
        /// API token lifetime in hours.
        token_ttl_hours: u64,
        /// Password-reset link lifetime in minutes.
        reset_ttl_minutes: u64,
        /// Failed logins per account before a lockout.
        account_failure_limit: u64,
        /// Failed logins per client address before a lockout.
        address_failure_limit: u64,
        /// First lockout in seconds, doubling per further failure.
        lockout_base_seconds: u64,
        /// Longest lockout in seconds.
        lockout_max_seconds: u64,
        /// Take the client address from X-Forwarded-For.
        trust_forwarded_for: bool,
        /// Milliseconds a call to a sign-in provider (token, profile, keys) may take.
        provider_timeout_ms: u64,
        /// Who needs a second factor (TOTP) to enter the admin: `superusers`, `staff` or `none`.
        require_mfa_for: String,
    }
    kakao @ "auth.providers.kakao": KakaoProviderConfig {
        /// Offer "카카오로 시작하기" and accept Kakao tokens at `/api/v1/auth/social/kakao`.
        enabled: bool,
        /// Kakao app's REST API key (the OAuth client id; the ID token's audience).
        client_id: String,
        /// Kakao client secret (set it from the environment, never in the database).
        client_secret: String,
        /// Kakao app id (numeric): an access token must have been issued to it.
        app_id: String,
        /// Kakao authorization endpoint.
        authorize_url: String,
        /// Kakao token endpoint.
        token_url: String,
        /// Kakao user profile endpoint.
        userinfo_url: String,
        /// Kakao access-token information endpoint (which app a token was issued to).
        tokeninfo_url: String,
        /// Kakao OIDC signing keys (JWKS).
        jwks_url: String,
        /// Kakao OIDC issuer (`iss` of its ID tokens).
        issuer: String,
    }
    naver @ "auth.providers.naver": NaverProviderConfig {
        /// Offer "네이버로 시작하기" and accept Naver tokens at `/api/v1/auth/social/naver`.
        enabled: bool,
        /// Naver client id.
        client_id: String,
        /// Naver client secret (set it from the environment, never in the database).
        client_secret: String,
        /// Naver authorization endpoint.
        authorize_url: String,
        /// Naver token endpoint.
        token_url: String,
        /// Naver profile endpoint.
        userinfo_url: String,
    }
    google @ "auth.providers.google": GoogleProviderConfig {
        /// Offer "Google로 계속하기" and accept Google tokens at `/api/v1/auth/social/google`.
        enabled: bool,
        /// Google OAuth client id (the ID token's audience).
        client_id: String,
        /// Google client secret (set it from the environment, never in the database).
        client_secret: String,
        /// Google authorization endpoint.
        authorize_url: String,
        /// Google token endpoint.
        token_url: String,
        /// Google OIDC userinfo endpoint.
        userinfo_url: String,
        /// Google token information endpoint (which client a token was issued to).
        tokeninfo_url: String,
        /// Google OIDC signing keys (JWKS).
        jwks_url: String,
        /// Google OIDC issuer (`iss` of its ID tokens).
        issuer: String,
    }
    session: SessionConfig {
        /// Minutes of inactivity that end a session.
        idle_minutes: u64,
        /// Hours after login that end a session.
        absolute_hours: u64,
        /// Minutes between sweeps of expired sessions, tokens and lockouts.
        purge_minutes: u64,
    }
    mail: MailConfig {
        /// `log` or `smtp`.
        backend: MailBackend,
        /// Sender address.
        from: String,
        /// SMTP server host.
        smtp_host: String,
        /// SMTP server port.
        smtp_port: u64,
        /// SMTP user name (empty: no authentication).
        smtp_username: String,
        /// SMTP password.
        smtp_password: String,
        /// `starttls`, `tls` or `none`.
        smtp_security: SmtpSecurity,
    }
    learning: LearningConfig {
        /// Extra https hosts lessons may embed as video players (comma-separated).
        video_hosts: String,
    }
    cache: CacheConfig {
        /// Milliseconds a cached public answer may live (writes invalidate at once).
        ttl_ms: u64,
        /// Megabytes of cached answers kept in memory.
        max_mb: u64,
    }
    media: MediaConfig {
        /// Directory uploaded files (course thumbnails) are stored in; created on first upload.
        dir: PathBuf,
        /// Largest upload accepted, in bytes.
        max_upload_bytes: u64,
    }
    i18n: I18nConfig {
        /// Page language when neither cookie nor Accept-Language chooses: `ko` or `en`.
        default_language: Language,
        /// Time zone every date and time shown to people is in (stored values stay UTC).
        time_zone: ZoneName,
    }
    log: LogConfig {
        /// Minimum log level.
        level: LogLevel,
        /// `pretty` or `json`.
        format: LogFormat,
        /// Requests slower than this many milliseconds are logged at warn; 0 = off.
        slow_request_ms: u64,
    }
}

/// The merged raw values with the source of each, before typing.
struct Layers {
    values: BTreeMap<(String, String), (toml::Value, Option<String>, Source)>,
}

impl Layers {
    fn get<T: ConfigValue>(&self, section: &str, key: &str) -> Result<T, ConfigError> {
        let dotted = format!("{section}.{key}");
        let (value, env_text, source) = self
            .values
            .get(&(section.to_owned(), key.to_owned()))
            .ok_or_else(|| ConfigError::Invalid {
                key: dotted.clone(),
                origin: Source::Default,
                message: "missing from the embedded defaults".into(),
            })?;
        let parsed = match env_text {
            Some(text) => T::from_env(text),
            None => T::from_toml(value),
        };
        parsed.map_err(|message| ConfigError::Invalid {
            key: dotted,
            origin: source.clone(),
            message,
        })
    }

    fn merge_toml(&mut self, text: &str, source: Source) -> Result<(), ConfigError> {
        let path = match &source {
            Source::File(p) => p.clone(),
            _ => PathBuf::from("<embedded config.toml>"),
        };
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path,
                    message: e.message().to_owned(),
                })?;
        for (section, body) in table {
            let Some(body) = body.as_table() else {
                return Err(ConfigError::UnknownKey {
                    key: section,
                    origin: source,
                });
            };
            self.merge_section(&section, body, &source)?;
        }
        Ok(())
    }

    /// One `[section]` table; a nested table (`[auth.providers.kakao]`) is a section of its own.
    fn merge_section(
        &mut self,
        section: &str,
        body: &toml::Table,
        source: &Source,
    ) -> Result<(), ConfigError> {
        for (key, value) in body {
            let known = KEYS.iter().any(|k| k.section == section && k.key == key);
            let nested = format!("{section}.{key}");
            let prefix = format!("{nested}.");
            let is_section = KEYS
                .iter()
                .any(|k| k.section == nested || k.section.starts_with(&prefix));
            match value.as_table() {
                Some(table) if !known && is_section => {
                    self.merge_section(&nested, table, source)?;
                }
                _ if known => {
                    self.values.insert(
                        (section.to_owned(), key.clone()),
                        (value.clone(), None, source.clone()),
                    );
                }
                _ => {
                    return Err(ConfigError::UnknownKey {
                        key: nested,
                        origin: source.clone(),
                    })
                }
            }
        }
        Ok(())
    }

    fn merge_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        for (name, text) in env {
            let Some(rest) = name.strip_prefix("HANCUP_") else {
                continue;
            };
            // Only `SECTION__KEY` names are configuration; HANCUP_CONFIG and friends are not.
            let Some((section, key)) = rest.split_once("__") else {
                continue;
            };
            let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
            let Some(info) = KEYS
                .iter()
                .find(|k| k.section.replace('.', "_") == section && k.key == key)
            else {
                return Err(ConfigError::UnknownKey {
                    key: format!("{section}.{key}"),
                    origin: Source::Env(name.clone()),
                });
            };
            self.values.insert(
                (info.section.to_owned(), info.key.to_owned()),
                (
                    toml::Value::String(text.clone()),
                    Some(text.clone()),
                    Source::Env(name.clone()),
                ),
            );
        }
        Ok(())
    }
}

/// A loaded configuration with where each value came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub sources: BTreeMap<String, Source>,
}

/// Loads defaults < file < environment. `env` is passed in so tests need not touch the process.
pub fn load(file: Option<&Path>, env: &[(String, String)]) -> Result<Loaded, ConfigError> {
    let mut layers = Layers {
        values: BTreeMap::new(),
    };
    layers.merge_toml(DEFAULTS_TOML, Source::Default)?;
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        layers.merge_toml(&text, Source::File(path.to_owned()))?;
    }
    layers.merge_env(env)?;
    let config = Config::from_layers(&layers)?;
    rules::validate(&config, &layers)?;
    let sources = layers
        .values
        .into_iter()
        .map(|((s, k), (_, _, src))| (format!("{s}.{k}"), src))
        .collect();
    Ok(Loaded { config, sources })
}

impl ServerConfig {
    /// Whether the public URL is https (cookies then get `Secure` and the `__Host-` prefix).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn embedded_defaults_cover_every_declared_key() {
        let loaded = load(None, &[]).expect("defaults load");
        assert_eq!(loaded.sources.len(), KEYS.len());
        assert_eq!(loaded.config.server.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(loaded.config.database.path, PathBuf::from("data/hancup.db"));
    }

    #[test]
    fn env_overrides_file_and_names_its_source() {
        let loaded = load(None, &env(&[("HANCUP_SERVER__BIND", "0.0.0.0:9000")])).unwrap();
        assert_eq!(loaded.config.server.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(
            loaded.sources["server.bind"],
            Source::Env("HANCUP_SERVER__BIND".into())
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load(None, &env(&[("HANCUP_SERVER__BIND", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
        let err = load(None, &env(&[("HANCUP_SERVER__NOPE", "1")])).unwrap_err();
        assert!(err.to_string().contains("server.nope"), "{err}");
        let err = load(None, &env(&[("HANCUP_DATABASE__POOL_SIZE", "0")])).unwrap_err();
        assert!(err.to_string().contains("database.pool_size"), "{err}");
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = include_str!("../../README.md");
        for key in KEYS {
            let row = format!("| `{}` | `{}` |", key.dotted(), key.env_name());
            assert!(
                readme.contains(&row),
                "README lacks the row for {}",
                key.dotted()
            );
        }
    }
}
