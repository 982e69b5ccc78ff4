//! The admin registry's vocabulary: a `ModelAdmin` declares one table for the back office —
//! labels (ko/en), list columns, search fields, filters, ordering, form fields with their widget
//! and parser, read-only fields, many-to-many fields, inlines, actions, uploads and the owner
//! rule — and `check` proves a declaration against the real schema at boot (every SQL fragment
//! is prepared once), the way Django's `admin/checks.py` does. The declarations themselves live
//! in `models`; nothing here serves a request.
//! **Invariant:** every identifier or SQL fragment the generic views put in a statement comes
//! from a declaration, never from a request.

use rusqlite::Connection;

use crate::accounts::perms::Action;
use crate::fields::FieldError;
use crate::vocab::{term_of, Term};
use crate::web::i18n::Lang;

/// A label in both page languages.
#[derive(Debug, Clone, Copy)]
pub struct Label {
    pub ko: &'static str,
    pub en: &'static str,
}

impl Label {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ko => self.ko,
            Lang::En => self.en,
        }
    }
}

pub const fn l(ko: &'static str, en: &'static str) -> Label {
    Label { ko, en }
}

#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub value: &'static str,
    pub label: Label,
}

pub const fn choice(value: &'static str, ko: &'static str, en: &'static str) -> Choice {
    Choice {
        value,
        label: l(ko, en),
    }
}

/// How a list or read-only value is shown.
#[derive(Debug, Clone, Copy)]
pub enum Display {
    Text,
    Number,
    Bool,
    DateTime,
    Choices(&'static [Choice]),
    /// A registered model's key, shown as the model's label (`course` → 강의).
    ModelKey,
    /// `model || char(31) || changes` of a log entry: its changes as `label: old → new`.
    LogChanges,
    /// A domain word shown as people read it (`vocab::Term::show`: 432 → 7:12).
    Vocab(Term),
    /// A row of another registered model: `name || char(31) || id`, shown as the name and, in
    /// lists, linked to that row's change page when the viewer may see that model.
    Related(&'static str),
}

/// A list column or read-only field: `sql` is an expression over the model's table and joins.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub label: Label,
    pub sql: &'static str,
    pub display: Display,
    pub sortable: bool,
}

pub const fn col(name: &'static str, label: Label, sql: &'static str, display: Display) -> Column {
    Column {
        name,
        label,
        sql,
        display,
        sortable: true,
    }
}

/// One place the search box looks.
#[derive(Debug, Clone, Copy)]
pub enum SearchField {
    /// `expr LIKE %word%` (case-insensitive for ASCII).
    Like(&'static str),
    /// Rows whose foreign key `fk` points at a row of `table` with a column LIKE the word:
    /// one indexed subquery instead of a join scanned per row.
    Related {
        fk: &'static str,
        table: &'static str,
        columns: &'static [&'static str],
    },
    /// The model's FTS5 index (rowid = the model's id), queried with the catalog's tokens.
    Fts(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub enum FilterKind {
    Choices(&'static [Choice]),
    Bool,
    /// Rows pointing at one row of `table`, offered by `label_sql`.
    Fk {
        table: &'static str,
        label_sql: &'static str,
    },
    /// today / past 7 days / this month / this year over an RFC 3339 text column.
    Date,
    /// A registered model's key (the log's `model` column): the choices follow the registry.
    Model,
}

/// A sidebar filter; `name` is its query parameter.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub name: &'static str,
    pub label: Label,
    pub sql: &'static str,
    pub kind: FilterKind,
}

/// How a form field is shown, and the default parser it implies.
#[derive(Debug, Clone, Copy)]
pub enum Widget {
    Text {
        max: usize,
    },
    TextArea {
        max: usize,
    },
    Markdown {
        max: usize,
    },
    Int {
        min: i64,
        max: i64,
    },
    Checkbox,
    Select(&'static [Choice]),
    /// A row of another table; `autocomplete` for large tables (a search box instead of a list).
    Fk {
        table: &'static str,
        label_sql: &'static str,
        autocomplete: bool,
    },
    /// `datetime-local`, stored as RFC 3339 UTC text.
    DateTime,
    /// A domain word (slug, title, video address, lesson length): parsed, stored and shown by
    /// `vocab::Term`, never by a rule of the admin's own.
    Vocab(Term),
}

/// A parser for a field's text, beyond its widget's own checks (`Email::parse`, slugs…).
pub type Parser = fn(&str) -> Result<String, FieldError>;

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: Label,
    pub widget: Widget,
    pub required: bool,
    pub parse: Option<Parser>,
    /// Only superusers may set it (privilege flags).
    pub superuser_only: bool,
}

pub const fn field(name: &'static str, label: Label, widget: Widget) -> Field {
    Field {
        name,
        label,
        widget,
        required: true,
        parse: None,
        superuser_only: false,
    }
}

/// A many-to-many field through a join table (`through.own` = this row, `through.other` = a row
/// of `table`).
#[derive(Debug, Clone, Copy)]
pub struct ManyToMany {
    pub name: &'static str,
    pub label: Label,
    pub through: &'static str,
    pub own: &'static str,
    pub other: &'static str,
    pub table: &'static str,
    pub label_sql: &'static str,
    pub superuser_only: bool,
}

/// Rows of another registered model edited inside this one's form (lessons in a course).
#[derive(Debug, Clone, Copy)]
pub struct Inline {
    pub model: &'static str,
    pub fk: &'static str,
    /// The column that orders the rows (renumbered 1..n on save), if any.
    pub order: Option<&'static str>,
    /// Blank rows offered on the form.
    pub extra: usize,
}

#[derive(Debug, Clone, Copy)]
pub enum ActionKind {
    Delete,
    /// An UPDATE's SET clause applied to each selected row.
    Update(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct ActionDef {
    pub name: &'static str,
    pub label: Label,
    pub perm: Action,
    pub kind: ActionKind,
}

/// The object rule for instructors: `predicate` (one `?` = the user's id) selects the rows they
/// own; `column`, when set, is forced to their id on add.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub predicate: &'static str,
    pub column: Option<&'static str>,
}

/// The target-row rule: may this actor change, delete or act on this row at all (beyond the
/// model permission)? Users: `accounts::perms::may_manage_user`.
pub type RowRule = fn(
    &rusqlite::Connection,
    &crate::accounts::User,
    i64,
) -> Result<bool, crate::accounts::AccountError>;

/// A titled group of form fields (the course form's 기본 정보, 분류, 공개); fields named in no
/// section come first, untitled.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub label: Label,
    pub fields: &'static [&'static str],
}

/// An image column filled by upload (stored under `media.dir`).
#[derive(Debug, Clone, Copy)]
pub struct Upload {
    pub field: &'static str,
    pub label: Label,
}

#[derive(Debug, Clone, Copy)]
pub struct ModelAdmin {
    /// URL segment and history key (`course`).
    pub key: &'static str,
    /// Permission area and dashboard group (`catalog`); `perm_model` completes the codename.
    pub area: &'static str,
    pub area_label: Label,
    pub perm_model: &'static str,
    pub table: &'static str,
    pub label: Label,
    pub plural: Label,
    /// SQL naming one object (`courses.title`).
    pub repr: &'static str,
    /// LEFT JOINs the columns need (one query, never one per row).
    pub joins: &'static str,
    pub columns: &'static [Column],
    pub search: &'static [SearchField],
    pub filters: &'static [Filter],
    /// Column names, `-` for descending.
    pub ordering: &'static [&'static str],
    pub fields: &'static [Field],
    /// How the form groups `fields`; empty: one group.
    pub sections: &'static [Section],
    pub readonly: &'static [Column],
    pub m2m: &'static [ManyToMany],
    pub inlines: &'static [Inline],
    pub actions: &'static [ActionDef],
    pub owner: Option<Owner>,
    /// Checked on every write to an existing row (change, action, delete, password, upload)
    /// and on the delete preview; a refusal is 403 and nothing is written.
    pub row_rule: Option<RowRule>,
    pub uploads: &'static [Upload],
    pub per_page: u64,
    /// Column set to now on every change.
    pub touch: Option<&'static str>,
    /// What the admin never does to these rows, whatever the permissions: the log is only read
    /// (`[Add, Change, Delete]`); rows the site creates — a learner's question — are never added
    /// (`[Add]`); certificates are facts, never added or edited (`[Add, Change]`).
    pub never: &'static [Action],
    /// Users: a password pair on add, and a separate change-password form.
    pub password: bool,
    /// A catalog key: what an operator should know before touching these rows, shown on the
    /// object, delete and action pages.
    pub note: Option<&'static str>,
}

impl ModelAdmin {
    pub const DEFAULT: ModelAdmin = ModelAdmin {
        key: "",
        area: "",
        area_label: l("", ""),
        perm_model: "",
        table: "",
        label: l("", ""),
        plural: l("", ""),
        repr: "",
        joins: "",
        columns: &[],
        search: &[],
        filters: &[],
        ordering: &[],
        fields: &[],
        sections: &[],
        readonly: &[],
        m2m: &[],
        inlines: &[],
        actions: &[],
        owner: None,
        row_rule: None,
        uploads: &[],
        per_page: 50,
        touch: None,
        never: &[],
        password: false,
        note: None,
    };

    pub fn codename(&self, action: Action) -> String {
        crate::accounts::perms::codename(self.area, action, self.perm_model)
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Whether the admin offers `action` on this model at all (permissions aside).
    pub fn allows(&self, action: Action) -> bool {
        !self.never.contains(&action)
    }
}

/// Query parameters the change list keeps for itself; no filter may take these names.
pub const RESERVED_PARAMS: &[&str] = &["q", "o", "p", "all", "_popup"];

fn table_columns(conn: &Connection, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .map_err(|e| e.to_string())?;
    let cols: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| e.to_string())?;
    if cols.is_empty() {
        return Err(format!("unknown table {table:?}"));
    }
    Ok(cols)
}

fn prepares(conn: &Connection, what: &str, sql: &str) -> Result<(), String> {
    conn.prepare(sql)
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}"))
}

/// Proves one declaration against the schema: tables and columns exist, every SQL fragment
/// prepares, names are unique and refer to what they claim. The error names the culprit.
pub fn check_model(conn: &Connection, m: &ModelAdmin, all: &[&ModelAdmin]) -> Result<(), String> {
    let err = |e: String| format!("admin model {:?}: {e}", m.key);
    let cols = table_columns(conn, m.table).map_err(err)?;
    if !cols.iter().any(|c| c == "id") {
        return Err(err("the table needs an integer `id` key".into()));
    }
    let from = format!("FROM {} {}", m.table, m.joins);
    let mut exprs: Vec<&str> = vec![m.repr];
    exprs.extend(m.columns.iter().map(|c| c.sql));
    exprs.extend(m.readonly.iter().map(|c| c.sql));
    exprs.extend(m.filters.iter().map(|f| f.sql));
    for e in &exprs {
        prepares(
            conn,
            &format!("expression {e:?}"),
            &format!("SELECT {e} {from} LIMIT 0"),
        )
        .map_err(err)?;
    }
    for s in m.search {
        let sql = match s {
            SearchField::Like(e) => format!("SELECT 1 {from} WHERE {e} LIKE 'x' LIMIT 0"),
            SearchField::Related { fk, table, columns } => {
                let any: Vec<String> = columns.iter().map(|c| format!("{c} LIKE 'x'")).collect();
                format!(
                    "SELECT 1 {from} WHERE {fk} IN (SELECT id FROM {table} WHERE {}) LIMIT 0",
                    any.join(" OR ")
                )
            }
            SearchField::Fts(t) => format!(
                "SELECT 1 {from} WHERE {}.id IN (SELECT rowid FROM {t} WHERE {t} MATCH 'x') LIMIT 0",
                m.table
            ),
        };
        prepares(conn, "search field", &sql).map_err(err)?;
    }
    for f in m.filters {
        if RESERVED_PARAMS.contains(&f.name)
            || m.filters.iter().filter(|g| g.name == f.name).count() > 1
        {
            return Err(err(format!(
                "filter name {:?} is reserved or repeated",
                f.name
            )));
        }
        if let FilterKind::Fk { table, label_sql } = f.kind {
            prepares(
                conn,
                "filter choices",
                &format!("SELECT id, {label_sql} FROM {table} LIMIT 0"),
            )
            .map_err(err)?;
        }
    }
    for o in m.ordering {
        let name = o.trim_start_matches('-');
        if m.column(name).is_none() {
            return Err(err(format!("ordering names unknown column {name:?}")));
        }
    }
    for f in m.fields {
        if !cols.iter().any(|c| c == f.name) {
            return Err(err(format!(
                "form field {:?} is not a column of {}",
                f.name, m.table
            )));
        }
        check_vocab(m.table, f).map_err(err)?;
        if let Widget::Fk {
            table, label_sql, ..
        } = f.widget
        {
            prepares(
                conn,
                "foreign key choices",
                &format!("SELECT id, {label_sql} FROM {table} LIMIT 0"),
            )
            .map_err(err)?;
        }
    }
    for s in m.sections {
        for name in s.fields {
            if m.field(name).is_none() {
                return Err(err(format!("section field {name:?} is not a form field")));
            }
            if m.sections
                .iter()
                .flat_map(|s| s.fields)
                .filter(|n| *n == name)
                .count()
                > 1
            {
                return Err(err(format!("field {name:?} is in two sections")));
            }
        }
    }
    for x in m.m2m {
        let through = table_columns(conn, x.through).map_err(err)?;
        if !through.iter().any(|c| c == x.own) || !through.iter().any(|c| c == x.other) {
            return Err(err(format!(
                "many-to-many {:?}: unknown columns of {}",
                x.name, x.through
            )));
        }
        prepares(
            conn,
            "many-to-many choices",
            &format!("SELECT id, {} FROM {} LIMIT 0", x.label_sql, x.table),
        )
        .map_err(err)?;
    }
    for i in m.inlines {
        let Some(child) = all.iter().find(|c| c.key == i.model) else {
            return Err(err(format!(
                "inline {:?} is not a registered model",
                i.model
            )));
        };
        let child_cols = table_columns(conn, child.table).map_err(err)?;
        for c in std::iter::once(i.fk).chain(i.order) {
            if !child_cols.iter().any(|x| x == c) {
                return Err(err(format!(
                    "inline {:?}: {c:?} is not a column of {}",
                    i.model, child.table
                )));
            }
        }
    }
    for a in m.actions {
        if let ActionKind::Update(set) = a.kind {
            prepares(
                conn,
                &format!("action {:?}", a.name),
                &format!("UPDATE {} SET {set} WHERE 0", m.table),
            )
            .map_err(err)?;
        }
    }
    if let Some(o) = m.owner {
        prepares(
            conn,
            "owner rule",
            &format!("SELECT 1 {from} WHERE {} LIMIT 0", o.predicate),
        )
        .map_err(err)?;
        if let Some(c) = o.column {
            if m.field(c).is_none() {
                return Err(err(format!("owner column {c:?} is not a form field")));
            }
        }
    }
    for u in m.uploads {
        if !cols.iter().any(|c| c == u.field) {
            return Err(err(format!(
                "upload {:?} is not a column of {}",
                u.field, m.table
            )));
        }
    }
    if let Some(t) = m.touch {
        if !cols.iter().any(|c| c == t) {
            return Err(err(format!("touch column {t:?} is unknown")));
        }
    }
    if let Some(a) = m.actions.iter().find(|a| !m.allows(a.perm)) {
        return Err(err(format!(
            "action {:?} needs {:?}, which the model never allows",
            a.name, a.perm
        )));
    }
    let changeable = !m.fields.is_empty()
        || !m.m2m.is_empty()
        || !m.inlines.is_empty()
        || !m.uploads.is_empty()
        || m.password;
    if changeable && !m.allows(Action::Change) && !m.allows(Action::Add) {
        return Err(err(
            "declares form fields but is never added or changed".into()
        ));
    }
    if all.iter().filter(|o| o.key == m.key).count() > 1 {
        return Err(err("registered twice".into()));
    }
    Ok(())
}

/// A column that holds a domain word (`vocab::COLUMNS`) is edited through that word: a choice
/// word by a select of exactly its words, any other by `Widget::Vocab` of that term.
fn check_vocab(table: &str, f: &Field) -> Result<(), String> {
    let Some(term) = term_of(table, f.name) else {
        return Ok(());
    };
    let ok = match (term.choices(), f.widget) {
        (Some(words), Widget::Select(cs)) => cs.iter().map(|c| c.value).eq(words.iter().copied()),
        (None, Widget::Vocab(t)) => t == term && f.parse.is_none(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "form field {:?} holds the domain word {term:?}; edit it through vocab::Term::{term:?}, not a parser of the admin's own",
            f.name
        ))
    }
}

/// Checks every declaration; the first problem stops start-up.
pub fn check_all(conn: &Connection, all: &[&ModelAdmin]) -> Result<(), String> {
    for m in all {
        check_model(conn, m, all)?;
    }
    Ok(())
}
