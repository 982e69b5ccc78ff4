//! The command line, in the manage.py tradition: `serve` (the default), `migrate`,
//! `createsuperuser`, `changepassword`, `seed`, `check`, and the operations commands in
//! `operate` (`backup`, `restore`, `dumpdata`, `loaddata`, `check --deploy`). Each command is a
//! thin call into `db`, a domain module, `ops` or the server. Exit codes: 0 success, 1 failure,
//! 2 bad usage or configuration.

mod operate;
mod progress;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::accounts::{self, DisplayName, Email, HashParams, NewUser, Password};
use crate::config::{self, Config, LogFormat, KEYS};
use crate::db::{self, migrate, Db};
use crate::fields::FieldErrors;
use crate::seed::{self, SeedOptions};

#[derive(Parser)]
#[command(
    name = "hancup",
    version,
    about = "hancup (한컵): startup-education website, JSON API and admin in one binary",
    long_about = "hancup (한컵): startup-education website, JSON API and admin in one binary.\n\n\
Configuration: the embedded defaults (config.toml), then --config FILE, then HANCUP_<SECTION>__<KEY> \
environment variables. Run `hancup check` to see every value and where it came from."
)]
struct Cli {
    /// A TOML file layered over the embedded defaults.
    #[arg(long, global = true, env = "HANCUP_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site, API and admin (the default command).
    Serve {
        /// Allow server.debug on a non-loopback bind (never in production).
        #[arg(long)]
        force_debug: bool,
    },
    /// Apply pending database migrations and print the schema version.
    Migrate,
    /// Create a superuser (staff and all permissions).
    ///
    /// Interactive by default. Non-interactive with --email, --display-name and the password in
    /// the HANCUP_SUPERUSER_PASSWORD environment variable.
    Createsuperuser {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Never prompt; fail if something is missing.
        #[arg(long)]
        no_input: bool,
    },
    /// Set a user's password (and end their sessions and API tokens).
    ///
    /// Prompts twice, or takes the password from HANCUP_NEW_PASSWORD when not interactive.
    Changepassword {
        /// The user's e-mail address.
        email: String,
    },
    /// Fill the database with deterministic demo data (Korean and English courses).
    Seed {
        #[arg(long, default_value_t = 50)]
        courses: u64,
        #[arg(long, default_value_t = 200)]
        users: u64,
        #[arg(long, default_value_t = 1000)]
        enrollments: u64,
        /// Lessons per course as MIN..MAX (or one number).
        #[arg(long, default_value = "10..30", value_parser = seed::parse_range)]
        lessons_per_course: (u64, u64),
        /// Delete existing users, courses, lessons, enrollments and categories first.
        #[arg(long)]
        reset: bool,
    },
    /// Check the configuration and the database; non-zero exit on a problem.
    Check {
        /// Check production readiness instead: debug, secret key, https, superuser, backups,
        /// file permissions, disk space, migrations. Exit 1 on any error.
        #[arg(long)]
        deploy: bool,
    },
    /// Write a consistent, verified copy of the database (safe while the server runs).
    ///
    /// Without PATH the copy goes to backup.dir as hancup-<UTC time>.db.
    Backup {
        /// Where to write the copy (must not exist).
        path: Option<PathBuf>,
    },
    /// Replace the database with a backup; refused while a server runs on it.
    ///
    /// The backup must pass integrity_check. The replaced file is kept as
    /// <database>.before-restore-<UTC time>.
    Restore {
        /// The backup file.
        path: PathBuf,
        /// Litestream replicates this database and has been stopped (see docs/DEPLOY.md).
        #[arg(long)]
        litestream_stopped: bool,
    },
    /// Print tables as a JSON fixture (all data tables by default). Contains secrets.
    Dumpdata {
        /// Table names; all data tables when none.
        tables: Vec<String>,
        /// Write to FILE instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Load a JSON fixture made by dumpdata, in one transaction (all or nothing).
    Loaddata {
        /// The fixture file ("-" for standard input).
        file: PathBuf,
    },
}

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let loaded = match config::load(cli.config.as_deref(), &env) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hancup: configuration error: {e}");
            return 2;
        }
    };
    init_logging(&loaded.config);
    let command = cli.command.unwrap_or(Command::Serve { force_debug: false });
    if let Command::Serve { force_debug } = &command {
        if let Err(message) = operate::debug_bind_allowed(&loaded.config, *force_debug) {
            eprintln!("hancup: {message}");
            return 2;
        }
    }
    let result = match command {
        Command::Serve { .. } => serve(loaded.config),
        Command::Migrate => run_migrate(&loaded.config),
        Command::Createsuperuser {
            email,
            display_name,
            no_input,
        } => createsuperuser(&loaded.config, email, display_name, no_input),
        Command::Changepassword { email } => changepassword(&loaded.config, &email),
        Command::Seed {
            courses,
            users,
            enrollments,
            lessons_per_course,
            reset,
        } => run_seed(
            &loaded.config,
            &SeedOptions {
                courses,
                users,
                enrollments,
                lessons_per_course,
                reset,
            },
        ),
        Command::Check { deploy: false } => check(&loaded),
        Command::Check { deploy: true } => operate::check_deploy(&loaded.config),
        Command::Backup { path } => operate::backup(&loaded.config, path),
        Command::Restore {
            path,
            litestream_stopped,
        } => operate::restore(&loaded.config, &path, litestream_stopped),
        Command::Dumpdata { tables, output } => {
            operate::dumpdata(&loaded.config, &tables, output.as_deref())
        }
        Command::Loaddata { file } => operate::loaddata(&loaded.config, &file),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("hancup: {message}");
            1
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANCUP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(config.log.level.as_str()));
    // Colour codes only for a person at a terminal, never into a log file or journald.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

fn serve(config: Config) -> Result<(), String> {
    // Held while serving, so `restore` refuses to swap the file under a running server.
    let _lock =
        crate::ops::backup::ServeLock::acquire(&config.database.path).map_err(|e| e.to_string())?;
    let bind = config.server.bind;
    let state = crate::build_state(config).map_err(|e| e.to_string())?;
    // Bound only once the state is ready: with SO_REUSEPORT the kernel starts handing this
    // process connections the moment it listens.
    let (listener, origin) = crate::ops::listener::bind(&state.config.server)
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(?origin, "listening socket ready");
    // Writes queue on one writer lock and hashing has its own bound, so a large blocking pool
    // buys nothing but memory: each extra thread grows its own malloc arena. Reads take a worker
    // out of the pool while they run (`Db::read`, `block_in_place`): room for one per pooled
    // connection, and as many again waiting for one.
    let blocking = 16 + 2 * state.config.database.pool_size as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime
        .block_on(async {
            crate::server::serve_on(listener, state, crate::server::shutdown_signal()).await
        })
        .map_err(|e| format!("cannot serve on {bind}: {e}"))
}

fn run_migrate(config: &Config) -> Result<(), String> {
    let db = Db::open(&config.database).map_err(|e| e.to_string())?;
    let applied = db
        .write(|tx| migrate::apply_pending(tx))
        .map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!(
            "No migrations to apply; schema version {}.",
            migrate::latest_version()
        );
    } else {
        for v in &applied {
            println!("Applied migration {v}.");
        }
        println!("Schema version {}.", migrate::latest_version());
    }
    Ok(())
}

fn field_errors_text(errors: &FieldErrors) -> String {
    errors
        .iter()
        .flat_map(|(field, list)| list.iter().map(move |e| format!("{field}: {}", e.message)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn prompt(label: &str) -> Result<String, String> {
    print!("{label}: ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if line.is_empty() {
        return Err("no input".into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn createsuperuser(
    config: &Config,
    email: Option<String>,
    display_name: Option<String>,
    no_input: bool,
) -> Result<(), String> {
    let interactive = !no_input && std::io::stdin().is_terminal();
    let env_password = std::env::var("HANCUP_SUPERUSER_PASSWORD").ok();
    let ask = |given: Option<String>, label: &str, flag: &str| -> Result<String, String> {
        match given {
            Some(v) => Ok(v),
            None if interactive => prompt(label),
            None => Err(format!("{flag} is required when not running interactively")),
        }
    };
    let mut errors = FieldErrors::new();
    let email_text = ask(email, "Email", "--email")?;
    let email = errors.take("email", Email::parse(&email_text));
    let name_text = ask(display_name, "Display name", "--display-name")?;
    let name = errors.take("display_name", DisplayName::parse(&name_text));
    if !errors.is_empty() {
        return Err(field_errors_text(&errors));
    }
    let (email, name) = (email.expect("checked"), name.expect("checked"));
    let password_text = match env_password {
        Some(p) => p,
        None if interactive => {
            let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
            let again =
                rpassword::prompt_password("Password (again): ").map_err(|e| e.to_string())?;
            if first != again {
                return Err("password: the two passwords did not match".into());
            }
            first
        }
        None => return Err("set HANCUP_SUPERUSER_PASSWORD when not running interactively".into()),
    };
    let min = config.auth.password_min_length as usize;
    let password = Password::parse(
        &password_text,
        "password",
        min,
        email.as_str(),
        name.as_str(),
    )
    .map_err(|e| field_errors_text(&e))?;
    let user = NewUser {
        email,
        display_name: name,
        password_hash: HashParams::from_config(&config.auth).hash(password.as_str()),
        is_staff: true,
        is_superuser: true,
    };
    let db = Db::open_and_migrate(&config.database).map_err(|e| e.to_string())?;
    let id = db
        .write(|tx| accounts::create_user(tx, &user))
        .map_err(|e| match e {
            accounts::AccountError::Invalid(f) | accounts::AccountError::Conflict(f) => {
                field_errors_text(&f)
            }
            other => other.to_string(),
        })?;
    println!("Superuser {} created (id {id}).", user.email.as_str());
    Ok(())
}

fn changepassword(config: &Config, email: &str) -> Result<(), String> {
    let db = Db::open_and_migrate(&config.database).map_err(|e| e.to_string())?;
    let email = Email::parse(email).map_err(|e| format!("email: {}", e.message))?;
    let user = db
        .read(|c| accounts::users::find_for_login(c, email.as_str()))
        .map_err(|e| e.to_string())?
        .map(|(u, _)| u)
        .ok_or_else(|| format!("no user with the email {}", email.as_str()))?;
    let text = match std::env::var("HANCUP_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
            let again =
                rpassword::prompt_password("New password (again): ").map_err(|e| e.to_string())?;
            if first != again {
                return Err("password: the two passwords did not match".into());
            }
            first
        }
        Err(_) => return Err("set HANCUP_NEW_PASSWORD when not running interactively".into()),
    };
    let min = config.auth.password_min_length as usize;
    let password = Password::parse(&text, "password", min, &user.email, &user.display_name)
        .map_err(|e| field_errors_text(&e))?;
    let hash = HashParams::from_config(&config.auth).hash(password.as_str());
    db.write(|tx| -> Result<(), accounts::AccountError> {
        accounts::users::replace_password(tx, user.id, &hash)
    })
    .map_err(|e| e.to_string())?;
    println!(
        "Password changed for {}; their sessions and API tokens were ended.",
        user.email
    );
    Ok(())
}

fn run_seed(config: &Config, opts: &SeedOptions) -> Result<(), String> {
    let db = Db::open_and_migrate(&config.database).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let bar = progress::Progress::spinner(&format!(
        "seeding {} courses, {} users, {} enrollments",
        opts.courses, opts.users, opts.enrollments
    ));
    let report = seed::run(&db, opts);
    bar.finish();
    let report = report.map_err(|e| e.to_string())?;
    println!(
        "Seeded {} categories, {} users, {} courses, {} lessons, {} enrollments in {:.1} s.",
        report.categories,
        report.users,
        report.courses,
        report.lessons,
        report.enrollments,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Keys `hancup check` shows only as `(set)` or `(empty)`.
const SECRET_KEYS: [&str; 6] = [
    "server.secret_key",
    "metrics.token",
    "mail.smtp_password",
    "auth.providers.kakao.client_secret",
    "auth.providers.naver.client_secret",
    "auth.providers.google.client_secret",
];

fn check(loaded: &config::Loaded) -> Result<(), String> {
    let config = &loaded.config;
    println!("Configuration (value, source):");
    for (key, value) in config.describe() {
        // Secrets are never printed, only whether they are set.
        let value = if SECRET_KEYS.contains(&key.as_str()) {
            if value.trim_matches('"').is_empty() {
                "(empty)".to_owned()
            } else {
                "(set)".to_owned()
            }
        } else {
            value
        };
        let source = loaded
            .sources
            .get(&key)
            .map(|s| s.to_string())
            .unwrap_or_default();
        println!("  {key:32} {value:28} {source}");
    }
    debug_assert_eq!(config.describe().len(), KEYS.len());
    let (a, b, c) = db::sqlite_version();
    println!("SQLite {a}.{b}.{c} (bundled)");

    let path = &config.database.path;
    if !path.exists() {
        println!(
            "Database {}: not created yet (the first `serve` or `migrate` creates it).",
            path.display()
        );
        return Ok(());
    }
    let db = Db::open(&config.database).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    let report = db.read(|conn| -> Result<(i64, String, i64, i64), db::DbError> {
        let version = migrate::current_version(conn)?;
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let fk_violations: i64 =
            conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        let superusers: i64 = if version >= 1 {
            conn.query_row(
                "SELECT COUNT(*) FROM users WHERE is_superuser = 1 AND is_active = 1",
                [],
                |r| r.get(0),
            )?
        } else {
            0
        };
        Ok((version, integrity, fk_violations, superusers))
    });
    let (version, integrity, fk, superusers) = report.map_err(|e| e.to_string())?;
    let latest = migrate::latest_version();
    println!(
        "Database {}: schema version {version} (this binary: {latest})",
        path.display()
    );
    if version > latest {
        problems.push(format!(
            "the database schema ({version}) is newer than this binary ({latest})"
        ));
    } else if version < latest {
        println!(
            "  warning: {} pending migration(s); `hancup migrate` or `serve` applies them",
            latest - version
        );
    }
    if integrity == "ok" {
        println!("  integrity_check: ok");
    } else {
        problems.push(format!("integrity_check: {integrity}"));
    }
    if fk > 0 {
        problems.push(format!("{fk} foreign key violation(s)"));
    } else {
        println!("  foreign_key_check: ok");
    }
    if superusers == 0 {
        println!("  warning: no active superuser; create one with `hancup createsuperuser`");
    }
    if problems.is_empty() {
        println!("No problems found.");
        Ok(())
    } else {
        Err(format!(
            "check found problems:\n  {}",
            problems.join("\n  ")
        ))
    }
}
