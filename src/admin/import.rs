//! CSV import with a dry run. A file's header names the columns: `id` (a row with an id changes
//! that object, one without adds a new one) and the form fields by name or by their Korean or
//! English label — the export's own header works, so an exported file imports back unchanged.
//! Every row goes through `admin::save` — the field parsers, references, the owner and row
//! rules, unique columns, the history — inside one transaction, each row behind a savepoint so
//! every bad row is reported with its row number and field. The dry run rolls the transaction
//! back; the confirmed run commits it only when no row failed.
//!
//! Accounts (the user model) come in without passwords: each new one gets an unusable password
//! and, once the import is committed, an e-mailed link to set their own.
//!
//! A cell that reads as the object's current value in the export (`공개`, `김민지`, a Korean
//! date) is no change; a new value is typed as the form takes it (a choice by its value or
//! label, a related row by its id or its name, `예`/`아니요`, `2026-03-01T09:30`).

use rusqlite::types::Value;
use rusqlite::Connection;

use super::forms::parse_field;
use super::history::Change;
use super::query;
use super::registry::{Field, ModelAdmin, Widget};
use super::save::{editable_fields, save, Submission};
use super::store::{self, AdminError, NON_FIELD};
use crate::accounts::perms::Action;
use crate::accounts::User;
use crate::fields::{FieldError, FieldErrors};
use crate::web::i18n::Lang;
use crate::web::local_time::LocalTime;

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 5_000;

/// What one header cell names.
#[derive(Debug, Clone, Copy)]
enum Target {
    Id,
    /// A form field, and the list column with the same label (how the export shows it).
    Field(&'static Field, Option<usize>),
    Ignored,
}

#[derive(Debug)]
pub enum Outcome {
    Added(i64),
    Changed(i64, Vec<Change>),
    Unchanged(i64),
    Failed(FieldErrors),
}

#[derive(Debug)]
pub struct RowReport {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    pub outcome: Outcome,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<RowReport>,
    /// Header cells that name nothing this user may set (kept out, listed in the preview).
    pub ignored: Vec<String>,
}

impl Report {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.rows.iter().filter(|r| f(&r.outcome)).count()
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }
}

/// The person importing and how they read the file.
pub struct Importer<'a> {
    pub user: &'a User,
    pub owner: Option<i64>,
    pub superuser: bool,
    pub can_add: bool,
    pub can_change: bool,
    pub lang: Lang,
    pub time: &'a LocalTime,
}

/// The file as text: UTF-8 (with or without a BOM) or, as Korean Excel saves CSV, CP949.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::EUC_KR.decode(bytes).0.into_owned(),
    }
}

fn file_error(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(FieldErrors::single(
        "file",
        FieldError::new("invalid_file", message),
    ))
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn targets(
    m: &ModelAdmin,
    fields: &[&'static Field],
    header: &[String],
) -> Result<Vec<Target>, AdminError> {
    let mut out = Vec::new();
    for cell in header {
        let t = if same(cell, "id") {
            Target::Id
        } else if let Some(f) = fields
            .iter()
            .copied()
            .find(|f| same(cell, f.name) || same(cell, f.label.ko) || same(cell, f.label.en))
        {
            let column = m.columns.iter().position(|c| {
                same(c.label.ko, f.label.ko)
                    || c.name == f.name
                    || c.sql.ends_with(&format!(".{}", f.name))
            });
            Target::Field(f, column)
        } else {
            Target::Ignored
        };
        let repeated = match t {
            Target::Id => out.iter().any(|o| matches!(o, Target::Id)),
            Target::Field(f, _) => out
                .iter()
                .any(|o| matches!(o, Target::Field(g, _) if g.name == f.name)),
            Target::Ignored => false,
        };
        if repeated {
            return Err(file_error(format!("The column \"{cell}\" appears twice.")));
        }
        out.push(t);
    }
    Ok(out)
}

/// A cell as the form would have received it: a choice's label becomes its value, a related
/// row's name its id, 예/아니요 a box, and the export's defused formula loses its quote.
fn as_input(conn: &Connection, f: &Field, cell: &str) -> Result<Option<String>, FieldError> {
    let cell = match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
    .trim();
    Ok(match f.widget {
        Widget::Checkbox => match cell.to_lowercase().as_str() {
            "" | "0" | "아니요" | "no" | "false" => None,
            "1" | "예" | "yes" | "true" => Some("1".into()),
            _ => return Err(FieldError::invalid_choice()),
        },
        Widget::Select(choices) => Some(
            choices
                .iter()
                .find(|c| c.value == cell || c.label.ko == cell || same(c.label.en, cell))
                .map_or(cell, |c| c.value)
                .to_owned(),
        ),
        Widget::Fk {
            table, label_sql, ..
        } if !cell.is_empty() && cell.parse::<i64>().is_err() => {
            let ids: Vec<i64> = conn
                .prepare_cached(&format!(
                    "SELECT id FROM {table} WHERE {label_sql} = ?1 LIMIT 2"
                ))
                .and_then(|mut s| {
                    s.query_map([cell], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()
                })
                .map_err(|_| FieldError::invalid_choice())?;
            match ids.as_slice() {
                [id] => Some(id.to_string()),
                [] => return Err(FieldError::invalid_choice()),
                _ => {
                    return Err(FieldError::new(
                        "ambiguous",
                        "More than one row has this name; use its id.",
                    ))
                }
            }
        }
        _ => Some(cell.to_owned()),
    })
}

/// The object's list cells as the export writes them.
fn exported(
    conn: &Connection,
    m: &ModelAdmin,
    id: i64,
    lang: Lang,
    time: &LocalTime,
) -> rusqlite::Result<Vec<String>> {
    let cols: Vec<&str> = m.columns.iter().map(|c| c.sql).collect();
    let sql = format!(
        "SELECT {} FROM {} {} WHERE {}.id = ?1",
        cols.join(", "),
        m.table,
        m.joins,
        m.table
    );
    conn.prepare_cached(&sql)?.query_row([id], |r| {
        m.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let v: Value = r.get(i)?;
                Ok(query::csv_text(&v, c.display, lang, time))
            })
            .collect()
    })
}

/// One data row to values, or its errors (keyed by field name).
#[allow(clippy::too_many_arguments)]
fn row_values(
    conn: &Connection,
    m: &'static ModelAdmin,
    fields: &[&'static Field],
    targets: &[Target],
    cells: &csv::StringRecord,
    id: Option<i64>,
    who: &Importer<'_>,
    errors: &mut FieldErrors,
) -> Result<Vec<(&'static str, Value)>, AdminError> {
    let current = match id {
        Some(id) => Some(exported(conn, m, id, who.lang, who.time)?),
        None => None,
    };
    let mut values = Vec::new();
    for (t, cell) in targets.iter().zip(cells.iter()) {
        let Target::Field(f, column) = *t else {
            continue;
        };
        // What the export shows for this object now is no change.
        if let (Some(now), Some(c)) = (&current, column) {
            if now.get(c).is_some_and(|shown| shown.trim() == cell.trim()) {
                continue;
            }
        }
        let parsed =
            as_input(conn, f, cell).and_then(|raw| parse_field(f, raw.as_deref(), who.time));
        match parsed {
            Ok(v) => values.push((f.name, v)),
            Err(e) => errors.push(f.name, e),
        }
    }
    if id.is_none() {
        for f in fields.iter().filter(|f| f.required) {
            if !targets
                .iter()
                .any(|t| matches!(t, Target::Field(g, _) if g.name == f.name))
            {
                errors.push(f.name, FieldError::required());
            }
        }
    }
    Ok(values)
}

fn refused(message: &str) -> FieldErrors {
    FieldErrors::single(NON_FIELD, FieldError::new("forbidden", message))
}

/// Imports `text` into `m` inside the caller's transaction. Row failures are in the report;
/// an error is returned only for a file that cannot be read at all or a failing database.
pub fn run(
    conn: &Connection,
    m: &'static ModelAdmin,
    who: &Importer<'_>,
    text: &str,
) -> Result<Report, AdminError> {
    let fields = editable_fields(m, who.superuser, who.owner);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(format!("The header cannot be read: {e}.")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let targets = targets(m, &fields, &header)?;
    if !targets.iter().any(|t| matches!(t, Target::Field(..))) {
        return Err(file_error("No column names a field of this model."));
    }
    let mut report = Report {
        ignored: header
            .iter()
            .zip(&targets)
            .filter(|(_, t)| matches!(t, Target::Ignored))
            .map(|(h, _)| h.clone())
            .collect(),
        ..Report::default()
    };
    let id_at = targets.iter().position(|t| matches!(t, Target::Id));
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            return Err(file_error(format!(
                "A file may hold at most {MAX_ROWS} rows."
            )));
        }
        let cells = record.map_err(|e| file_error(format!("Row {line} cannot be read: {e}.")))?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut errors = FieldErrors::new();
        let id = match id_at.and_then(|i| cells.get(i)).map(str::trim) {
            None | Some("") => None,
            Some(t) => match t.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push("id", FieldError::invalid_integer());
                    None
                }
            },
        };
        let allowed = match id {
            Some(_) => who.can_change,
            None => who.can_add,
        };
        if !allowed {
            report.rows.push(RowReport {
                line,
                outcome: Outcome::Failed(refused("You may not add or change these rows.")),
            });
            continue;
        }
        let old = match id {
            Some(id) => match store::load(conn, m, id, who.owner)? {
                Some(o) => Some(o),
                None => {
                    report.rows.push(RowReport {
                        line,
                        outcome: Outcome::Failed(FieldErrors::single(
                            "id",
                            FieldError::new("not_found", "No such row (or not yours)."),
                        )),
                    });
                    continue;
                }
            },
            None => None,
        };
        let values = row_values(conn, m, &fields, &targets, &cells, id, who, &mut errors)?;
        if !errors.is_empty() {
            report.rows.push(RowReport {
                line,
                outcome: Outcome::Failed(errors),
            });
            continue;
        }
        if let (Some(id), Some(old)) = (id, &old) {
            if store::diff(m, &old.values, &values).is_empty() {
                report.rows.push(RowReport {
                    line,
                    outcome: Outcome::Unchanged(id),
                });
                continue;
            }
        }
        // A new account gets no password from a file: an unusable one, and the person sets
        // their own from the invitation mailed after the import (`Accounts::invitation`).
        let password_hash = (m.password && id.is_none())
            .then(|| crate::accounts::users::IMPORTED_PASSWORD.to_owned());
        let sub = Submission {
            values,
            m2m: Vec::new(),
            inlines: Vec::new(),
            fingerprint: None,
            password_hash,
        };
        conn.execute_batch("SAVEPOINT import_row")?;
        let outcome = match save(conn, m, who.user, who.owner, id, &sub) {
            Ok(saved) => match &old {
                Some(old) => Outcome::Changed(saved, store::diff(m, &old.values, &sub.values)),
                None => Outcome::Added(saved),
            },
            Err(AdminError::Invalid(e)) => Outcome::Failed(e),
            Err(AdminError::Forbidden | AdminError::NotFound) => {
                Outcome::Failed(refused("You may not change this row."))
            }
            Err(e) => return Err(e),
        };
        if matches!(outcome, Outcome::Failed(_)) {
            conn.execute_batch("ROLLBACK TO import_row")?;
        }
        conn.execute_batch("RELEASE import_row")?;
        report.rows.push(RowReport { line, outcome });
    }
    Ok(report)
}

/// Whether `m` can be imported at all: it has fields and is added or changed. Accounts are
/// imported without passwords (see `run`).
pub fn importable(m: &ModelAdmin) -> bool {
    !m.fields.is_empty() && (m.allows(Action::Add) || m.allows(Action::Change))
}
