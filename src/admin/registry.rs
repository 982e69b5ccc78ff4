//! The admin registry's vocabulary: a `ModelAdmin` declares one table for the back office —
//! labels (ko/en), list columns, search fields, filters, ordering, form fields with their widget
//! and parser, read-only fields, many-to-many fields, inlines, actions, uploads and the owner
//! rule. `boot_check` proves each declaration against the real schema at start-up. The
//! declarations themselves live in `models`; nothing here serves a request.
//! **Invariant:** every identifier or SQL fragment the generic views put in a statement comes
//! from a declaration, never from a request.

use crate::accounts::perms::Action;
use crate::fields::FieldError;
use crate::vocab::Term;
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

/// A domain rule completing the named values of a write (see `ModelAdmin::complete`).
pub type Completion = fn(&mut Vec<(&'static str, rusqlite::types::Value)>);

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
    /// A stored timestamp expression (`enrollments.created_at`) the list can be narrowed by
    /// year, month and day (the date hierarchy).
    pub date_hierarchy: Option<&'static str>,
    /// A domain rule that completes the values of an add or change before they are written
    /// (`learning::authoring::complete_publish_time`): the admin applies the domain's rules, it
    /// does not make its own.
    pub complete: Option<Completion>,
    /// SQL giving the object's public page path (`'/courses/' || courses.slug`), NULL when it
    /// has none now (a draft): the change page links to it ("사이트에서 보기").
    pub site_url: Option<&'static str>,
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
        date_hierarchy: None,
        site_url: None,
        complete: None,
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
pub const RESERVED_PARAMS: &[&str] = &["q", "o", "p", "all", "date", "_popup"];
