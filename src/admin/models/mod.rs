//! The registered models: one `ModelAdmin` declaration per table the back office manages, and
//! `REGISTRY`, the list the generic views serve. Adding a table to the admin is one declaration
//! here plus its line in `REGISTRY` (the boot check and `registry_is_valid` test prove it).

mod accounts;
mod catalog;
mod learning;
mod outcomes;

pub use accounts::{GROUP, LOG, USER};
pub use catalog::{CATEGORY, COURSE, LESSON};
pub use learning::{ANSWER, ENROLLMENT, NOTICE, QUESTION};
pub use outcomes::{CERTIFICATE, REVIEW};

use super::registry::ActionKind::Delete;
use super::registry::{choice, l, ActionDef, Choice, Filter, FilterKind, Label, ModelAdmin};
use crate::accounts::perms::Action;
use crate::accounts::{DisplayName, Email};
use crate::fields::FieldError;
use crate::vocab::{CourseStatus, Level};

pub(crate) const CATALOG: Label = l("카탈로그", "Catalog");
pub(crate) const LEARNING: Label = l("학습", "Learning");
pub(crate) const ACCOUNTS: Label = l("계정", "Accounts");
pub(crate) const ADMIN: Label = l("관리", "Administration");

/// Every registered model, in dashboard order.
pub static REGISTRY: &[&ModelAdmin] = &[
    &CATEGORY,
    &COURSE,
    &LESSON,
    &ENROLLMENT,
    &QUESTION,
    &ANSWER,
    &NOTICE,
    &REVIEW,
    &CERTIFICATE,
    &USER,
    &GROUP,
    &LOG,
];

pub fn find(key: &str) -> Option<&'static ModelAdmin> {
    REGISTRY.iter().copied().find(|m| m.key == key)
}

pub(crate) fn parse_email(text: &str) -> Result<String, FieldError> {
    Email::parse(text).map(|e| e.as_str().to_owned())
}

pub(crate) fn parse_display_name(text: &str) -> Result<String, FieldError> {
    DisplayName::parse(text).map(|n| n.as_str().to_owned())
}

pub const LEVELS: &[Choice] = &[
    choice(Level::Beginner.as_str(), "입문", "Beginner"),
    choice(Level::Intermediate.as_str(), "중급", "Intermediate"),
    choice(Level::Advanced.as_str(), "고급", "Advanced"),
];
pub const STATUSES: &[Choice] = &[
    choice(CourseStatus::Draft.as_str(), "초안", "Draft"),
    choice(CourseStatus::Published.as_str(), "공개", "Published"),
    choice(CourseStatus::Archived.as_str(), "보관", "Archived"),
];
pub(crate) const LOG_ACTIONS: &[Choice] = &[
    choice("add", "추가", "Added"),
    choice("change", "변경", "Changed"),
    choice("delete", "삭제", "Deleted"),
    choice("action", "일괄 작업", "Action"),
];

pub(crate) const DELETE_SELECTED: ActionDef = ActionDef {
    name: "delete_selected",
    label: l("선택한 항목 삭제", "Delete selected"),
    perm: Action::Delete,
    kind: Delete,
};

pub(crate) const CREATED: Filter = Filter {
    name: "created",
    label: l("등록일", "Created"),
    sql: "created_at",
    kind: FilterKind::Date,
};

#[cfg(test)]
mod tests {
    use super::super::boot_check::{check_all, check_model};
    use super::*;
    use crate::admin::registry::Display::Text;
    use crate::admin::registry::{col, field, Column, Field, Widget};

    fn migrated() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::textsearch::register_sql_functions(&conn).unwrap();
        crate::db::migrate::apply_up_to(&conn, crate::db::migrate::latest_version()).unwrap();
        conn
    }

    #[test]
    fn registry_is_valid() {
        check_all(&migrated(), REGISTRY).unwrap();
    }

    const BAD_COLUMNS: &[Column] = &[col("nope", l("x", "x"), "courses.no_such_column", Text)];
    const BAD_FILTERS: &[Filter] = &[Filter {
        name: "x",
        label: l("x", "x"),
        sql: "courses.secret",
        kind: FilterKind::Bool,
    }];
    const RESERVED_FILTERS: &[Filter] = &[Filter {
        name: "q",
        sql: "categories.position",
        ..CREATED
    }];
    const BAD_FIELDS: &[Field] = &[field("secret", l("x", "x"), Widget::Checkbox)];

    #[test]
    fn unknown_column_or_filter_is_refused() {
        let conn = migrated();
        let bad_column = ModelAdmin {
            columns: BAD_COLUMNS,
            ..COURSE
        };
        let err = check_model(&conn, &bad_column, &[&bad_column]).unwrap_err();
        assert!(err.contains("no_such_column"), "{err}");
        let bad_filter = ModelAdmin {
            filters: BAD_FILTERS,
            ..CATEGORY
        };
        assert!(check_model(&conn, &bad_filter, &[&bad_filter]).is_err());
        let bad_order = ModelAdmin {
            ordering: &["-nope"],
            ..CATEGORY
        };
        assert!(check_model(&conn, &bad_order, &[&bad_order]).is_err());
        let reserved = ModelAdmin {
            filters: RESERVED_FILTERS,
            ..CATEGORY
        };
        assert!(check_model(&conn, &reserved, &[&reserved]).is_err());
        let bad_field = ModelAdmin {
            fields: BAD_FIELDS,
            ..CATEGORY
        };
        assert!(check_model(&conn, &bad_field, &[&bad_field]).is_err());
    }

    #[test]
    fn what_a_model_never_allows_cannot_be_declared_anyway() {
        let conn = migrated();
        let undeletable_with_delete = ModelAdmin {
            never: &[Action::Delete],
            ..REVIEW
        };
        let err =
            check_model(&conn, &undeletable_with_delete, &[&undeletable_with_delete]).unwrap_err();
        assert!(err.contains("delete_selected"), "{err}");
        let frozen_with_fields = ModelAdmin {
            never: &[Action::Add, Action::Change],
            ..CATEGORY
        };
        let err = check_model(&conn, &frozen_with_fields, &[&frozen_with_fields]).unwrap_err();
        assert!(err.contains("never added or changed"), "{err}");
    }

    #[test]
    fn every_note_is_in_the_catalogs() {
        let catalogs = crate::web::i18n::Catalogs::load().unwrap();
        for m in REGISTRY {
            for lang in [crate::web::i18n::Lang::Ko, crate::web::i18n::Lang::En] {
                if let Some(key) = m.note {
                    assert!(catalogs.has(lang, key), "{}: {key}", m.key);
                }
            }
        }
    }

    #[test]
    fn permissions_read_as_what_they_allow_in_korean() {
        let conn = migrated();
        let label_sql = GROUP.m2m[0].label_sql;
        let labels: Vec<(String, String)> = conn
            .prepare(&format!("SELECT codename, {label_sql} FROM permissions"))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(labels.len() >= 40, "{}", labels.len());
        for (codename, label) in &labels {
            assert!(!label.contains(codename.as_str()), "{codename}: {label}");
            let korean = label.split(" · ").next().unwrap();
            assert!(
                korean.chars().any(|c| ('가'..='힣').contains(&c)) && !korean.contains('_'),
                "{codename} has no Korean label: {label}"
            );
        }
        assert!(labels
            .iter()
            .any(|(c, l)| c == "catalog.view_course" && l == "강의 보기 · Can view course"));
    }

    const RAW_SLUG: &[Field] = &[field("slug", l("x", "x"), Widget::Text { max: 100 })];
    const RAW_LENGTH: &[Field] = &[field(
        "duration_seconds",
        l("x", "x"),
        Widget::Int { min: 0, max: 9 },
    )];
    const WRONG_WORDS: &[crate::admin::registry::Choice] =
        &[crate::admin::registry::choice("live", "x", "x")];
    const RAW_STATUS: &[Field] = &[field("status", l("x", "x"), Widget::Select(WRONG_WORDS))];

    #[test]
    fn a_domain_word_edited_through_a_rule_of_the_admins_own_stops_start_up() {
        let conn = migrated();
        for (fields, base, column) in [
            (RAW_SLUG, &COURSE, "slug"),
            (RAW_SLUG, &CATEGORY, "slug"),
            (RAW_LENGTH, &LESSON, "duration_seconds"),
            (RAW_STATUS, &COURSE, "status"),
        ] {
            let m = ModelAdmin { fields, ..*base };
            let err = check_model(&conn, &m, &[&m]).unwrap_err();
            assert!(err.contains(column) && err.contains("vocab::Term"), "{err}");
        }
    }
}
