//! The operations commands: `backup`, `restore`, `dumpdata`, `loaddata`, `check --deploy`, and
//! the rule that debug mode stays on loopback. Thin calls into `ops`; they print what they did
//! and return a message on failure (exit 1).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::db::Db;
use crate::ops::deploy_check::{self, Level};
use crate::ops::{backup as backups, fixtures};

/// Debug mode shows SQL and users on every page: only on a loopback bind unless forced.
pub fn debug_bind_allowed(config: &Config, force: bool) -> Result<(), String> {
    let s = &config.server;
    if s.debug && !s.bind.ip().is_loopback() && !force && !s.debug_allow_public {
        return Err(format!(
            "refusing to serve with server.debug = true on {} (not loopback): the debug toolbar \
             shows SQL and users to anyone. Bind to 127.0.0.1, turn debug off, or pass \
             --force-debug (server.debug_allow_public = true)",
            s.bind
        ));
    }
    Ok(())
}

pub fn backup(config: &Config, path: Option<PathBuf>) -> Result<(), String> {
    backups::require_database(&config.database).map_err(|e| e.to_string())?;
    let dest = path.unwrap_or_else(|| backups::default_path(&config.backup.dir));
    let db = Db::open(&config.database).map_err(|e| e.to_string())?;
    let done = backups::backup(&db, &dest).map_err(|e| format!("backup failed: {e}"))?;
    println!(
        "Backup written to {} ({} bytes); integrity_check: ok.",
        done.path.display(),
        done.bytes
    );
    Ok(())
}

pub fn restore(config: &Config, path: &Path, litestream_stopped: bool) -> Result<(), String> {
    let live = &config.database.path;
    let configured = config.backup.replicated_by == "litestream";
    let signs = backups::litestream_signs(live, configured);
    if !signs.is_empty() && !litestream_stopped {
        // Restoring under a running Litestream silently ends replication: later writes never
        // reach the replica (issue 14: 9,922 writes lost that way).
        return Err(format!(
            "restore refused: Litestream replicates {} ({}). Restore in this order:\n  \
             1. stop Litestream and hancup (systemctl stop litestream hancup.socket hancup.service)\n  \
             2. hancup restore --litestream-stopped {}\n  \
             3. litestream reset {}   (Litestream starts a new generation from the restored file)\n  \
             4. start Litestream, then hancup",
            live.display(),
            signs.join("; "),
            path.display(),
            live.display()
        ));
    }
    let done =
        backups::restore(&config.database, path).map_err(|e| format!("restore refused: {e}"))?;
    println!(
        "Restored {} into {} (schema version {}).",
        path.display(),
        config.database.path.display(),
        done.schema_version
    );
    if let Some(aside) = done.kept_aside {
        println!("The previous database was kept as {}.", aside.display());
    }
    if !signs.is_empty() {
        println!(
            "Now run `litestream reset {}`, then start Litestream, then hancup.",
            live.display()
        );
    }
    Ok(())
}

pub fn dumpdata(config: &Config, tables: &[String], output: Option<&Path>) -> Result<(), String> {
    backups::require_database(&config.database).map_err(|e| e.to_string())?;
    let db = Db::open(&config.database).map_err(|e| e.to_string())?;
    // One read transaction, so every table comes from the same moment.
    let text = db
        .read(|c| -> Result<String, fixtures::FixtureError> {
            c.execute_batch("BEGIN")?;
            let text = fixtures::dump(c, tables);
            c.execute_batch("COMMIT")?;
            text
        })
        .map_err(|e| e.to_string())?;
    match output {
        // Created 0600: a dump holds password hashes and the server key.
        Some(path) => crate::db::files::create_private_file(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    }
}

pub fn loaddata(config: &Config, file: &Path) -> Result<(), String> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
    };
    let db = Db::open_and_migrate(&config.database).map_err(|e| e.to_string())?;
    // Rows loaded into a database with a planted trigger would run it: refuse, change nothing.
    let foreign = db
        .read(crate::db::snapshot::foreign_objects)
        .map_err(|e| e.to_string())?;
    if !foreign.is_empty() {
        return Err(format!(
            "loaddata refused, nothing changed: {} holds schema objects the migrations did not \
             create: {}",
            config.database.path.display(),
            foreign.join(", ")
        ));
    }
    let report = db
        .write(|tx| fixtures::load(tx, &text))
        .map_err(|e| format!("loaddata failed, nothing changed: {e}"))?;
    let total: usize = report.iter().map(|(_, n)| n).sum();
    println!(
        "Loaded {total} row(s) from {} into {} table(s).",
        file.display(),
        report.len()
    );
    Ok(())
}

pub fn check_deploy(config: &Config) -> Result<(), String> {
    let findings = deploy_check::run(config);
    for f in &findings {
        println!("{f}");
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings
        .iter()
        .filter(|f| f.level == Level::Warning)
        .count();
    println!("{errors} error(s), {warnings} warning(s).");
    if errors > 0 {
        Err(format!("check --deploy found {errors} error(s)"))
    } else {
        Ok(())
    }
}
