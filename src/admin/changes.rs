//! How a history entry reads: a field, many-to-many set or inline model named by its Korean (or
//! English) label instead of its column or key, and old → new values as the form and the lists
//! show them — times in the configured zone, choices by their label, flags as 예/아니요. Used by
//! an object's history page and by the log's change list; nothing here writes.

use super::history::Change;
use super::models;
use super::registry::{ModelAdmin, Widget};
use crate::web::i18n::Lang;
use crate::web::local_time::LocalTime;

/// The label of what a change names in `m`: a field, a many-to-many set, an upload or an
/// inline model; the raw name only when the registration no longer has it.
pub fn label(m: &ModelAdmin, name: &str, lang: Lang) -> String {
    if let Some(f) = m.field(name) {
        return f.label.get(lang).to_owned();
    }
    if let Some(x) = m.m2m.iter().find(|x| x.name == name) {
        return x.label.get(lang).to_owned();
    }
    if let Some(u) = m.uploads.iter().find(|u| u.field == name) {
        return u.label.get(lang).to_owned();
    }
    if name == "password_hash" {
        return match lang {
            Lang::Ko => "비밀번호".into(),
            Lang::En => "Password".into(),
        };
    }
    match models::find(name) {
        Some(child) => child.label.get(lang).to_owned(),
        None => name.to_owned(),
    }
}

/// A logged value of field `name` as a person reads it.
pub fn value(m: &ModelAdmin, name: &str, raw: &str, lang: Lang, time: &LocalTime) -> String {
    let Some(f) = m.field(name) else {
        return raw.to_owned();
    };
    if raw.is_empty() {
        return String::new();
    }
    match f.widget {
        Widget::DateTime => time
            .stored_datetime(lang, raw)
            .unwrap_or_else(|| raw.into()),
        Widget::Select(choices) => choices
            .iter()
            .find(|c| c.value == raw)
            .map_or_else(|| raw.to_owned(), |c| c.label.get(lang).to_owned()),
        Widget::Vocab(term) => raw
            .parse::<i64>()
            .ok()
            .and_then(|n| term.show(&rusqlite::types::Value::Integer(n)))
            .unwrap_or_else(|| raw.to_owned()),
        Widget::Checkbox => match (lang, raw == "1") {
            (Lang::Ko, true) => "예".into(),
            (Lang::Ko, false) => "아니요".into(),
            (Lang::En, true) => "yes".into(),
            (Lang::En, false) => "no".into(),
        },
        _ => raw.to_owned(),
    }
}

/// One change as `label: old → new`, each side read as `value` does (∅ for nothing).
pub fn line(m: &ModelAdmin, c: &Change, lang: Lang, time: &LocalTime) -> String {
    let side = |v: &str| {
        let v = value(m, &c.field, v, lang, time);
        if v.is_empty() {
            "∅".to_owned()
        } else {
            v
        }
    };
    format!(
        "{}: {} → {}",
        label(m, &c.field, lang),
        side(&c.old),
        side(&c.new)
    )
}

/// The log's stored `changes` JSON of an entry about model `key`, as lines joined by "; ".
pub fn summary(key: &str, json: &str, lang: Lang, time: &LocalTime) -> String {
    let changes: Vec<Change> = serde_json::from_str(json).unwrap_or_default();
    let Some(m) = models::find(key) else {
        return String::new();
    };
    changes
        .iter()
        .map(|c| line(m, c, lang, time))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A model key (`course`) as its label (`강의`), the key itself when no longer registered.
pub fn model_label(key: &str, lang: Lang) -> String {
    models::find(key).map_or_else(|| key.to_owned(), |m| m.label.get(lang).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigValue, ZoneName};

    #[test]
    fn history_reads_labels_and_local_values_not_columns_and_json() {
        let time = LocalTime::new(&ZoneName::from_env("Asia/Seoul").unwrap());
        let json = r#"[{"field":"title","old":"가","new":"나"},
            {"field":"published_at","old":"","new":"2026-12-03T15:59:30Z"},
            {"field":"status","old":"draft","new":"published"}]"#;
        let text = summary("course", json, Lang::Ko, &time);
        assert!(text.contains("제목: 가 → 나"), "{text}");
        assert!(text.contains("→ 2026.12.04 00:59 KST"), "{text}");
        assert!(
            !text.contains("published_at") && !text.contains("\"field\""),
            "{text}"
        );
        assert!(!text.contains("draft"), "choices by label: {text}");
        assert_eq!(model_label("course", Lang::Ko), models::COURSE.label.ko);
    }
}
