//! Admin form input: `AdminForm` reads a posted form keeping repeated names (many-to-many
//! checkboxes) and checks CSRF before any handler sees a field; `parse_field` turns one field's
//! text into a value by its widget and declared parser, collecting every error by field name.

use std::collections::HashMap;

use poem::{FromRequest, Request, RequestBody};
use rusqlite::types::Value;

use super::registry::{Field, Widget};
use crate::fields::{FieldError, FieldErrors};
use crate::vocab::Term;
use crate::web::local_time::LocalTime;
use crate::web::{csrf, AppState};

pub struct AdminForm {
    pairs: Vec<(String, String)>,
    /// The zone `datetime-local` inputs are in (`i18n.time_zone`).
    time: LocalTime,
}

impl AdminForm {
    pub fn from_pairs(pairs: Vec<(String, String)>, time: LocalTime) -> AdminForm {
        AdminForm { pairs, time }
    }

    pub fn time(&self) -> &LocalTime {
        &self.time
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Integer values of a repeated field (selected rows, many-to-many), invalid ones dropped.
    pub fn ids(&self, name: &str) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .all(name)
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn without(&self, name: &str) -> AdminForm {
        AdminForm {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| k != name)
                .cloned()
                .collect(),
            time: self.time.clone(),
        }
    }

    /// The raw input by name (first value), to show the form again as it was sent.
    pub fn raw(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        for (k, v) in &self.pairs {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        map
    }
}

impl<'a> FromRequest<'a> for AdminForm {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let state = req.data::<AppState>().ok_or_else(|| {
            poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        })?;
        let submitted = pairs
            .iter()
            .find(|(k, _)| k == csrf::FORM_FIELD)
            .map(|(_, v)| v.as_str());
        if !csrf::verify(req, state, submitted) {
            return Err(poem::Error::from_response(super::views::csrf_failure(
                req, state,
            )));
        }
        Ok(AdminForm {
            pairs,
            time: state.templates.time().clone(),
        })
    }
}

fn invalid_datetime() -> FieldError {
    FieldError::new("invalid_datetime", "Enter a valid date and time.")
}

/// What a `datetime-local` input sends (`2026-03-01T09:30`, seconds optional), read as local
/// time in the configured zone, as stored RFC 3339 UTC text.
pub fn parse_datetime(text: &str, time: &LocalTime) -> Result<String, FieldError> {
    time.from_input(text).ok_or_else(invalid_datetime)
}

/// A value from the text of one input (`None`: the input was not sent, an unchecked box).
pub fn parse_field(f: &Field, raw: Option<&str>, time: &LocalTime) -> Result<Value, FieldError> {
    if let Widget::Checkbox = f.widget {
        return Ok(Value::Integer(raw.is_some_and(|v| !v.is_empty()) as i64));
    }
    let raw = raw.unwrap_or("");
    if raw.contains('\0') {
        return Err(FieldError::null_character());
    }
    let multiline = matches!(f.widget, Widget::TextArea { .. } | Widget::Markdown { .. });
    let text = if multiline {
        raw.replace("\r\n", "\n")
    } else {
        raw.trim().to_owned()
    };
    if text.trim().is_empty() {
        if f.required {
            return Err(FieldError::required());
        }
        return Ok(match f.widget {
            Widget::DateTime | Widget::Fk { .. } => Value::Null,
            Widget::Vocab(Term::LessonLength) => Value::Integer(0),
            Widget::Int { min, .. } => Value::Integer(min.max(0)),
            _ => Value::Text(String::new()),
        });
    }
    let value = match f.widget {
        Widget::Text { max } | Widget::TextArea { max } | Widget::Markdown { max } => {
            if text.chars().count() > max {
                return Err(FieldError::max_length(max));
            }
            if !multiline && text.chars().any(char::is_control) {
                return Err(FieldError::new(
                    "invalid",
                    "Control characters are not allowed.",
                ));
            }
            Value::Text(text)
        }
        Widget::Int { min, max } => {
            let n: i64 = text.parse().map_err(|_| FieldError::invalid_integer())?;
            if n < min {
                return Err(FieldError::min_value(min));
            }
            if n > max {
                return Err(FieldError::max_value(max));
            }
            Value::Integer(n)
        }
        Widget::Select(choices) => {
            if !choices.iter().any(|c| c.value == text) {
                return Err(FieldError::invalid_choice());
            }
            Value::Text(text)
        }
        Widget::Fk { .. } => {
            Value::Integer(text.parse().map_err(|_| FieldError::invalid_choice())?)
        }
        Widget::DateTime => Value::Text(parse_datetime(&text, time)?),
        Widget::Vocab(term) => term.parse(&text)?,
        Widget::Checkbox => unreachable!("handled above"),
    };
    match (f.parse, &value) {
        (Some(parse), Value::Text(t)) => parse(t).map(Value::Text),
        _ => Ok(value),
    }
}

/// Parses `fields` from inputs named `{prefix}{field}`, recording errors under those names.
pub fn parse_fields(
    fields: &[&'static Field],
    form: &AdminForm,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for f in fields {
        let name = format!("{prefix}{}", f.name);
        match parse_field(f, form.get(&name), &form.time) {
            Ok(v) => out.push((f.name, v)),
            Err(e) => errors.push(&name, e),
        }
    }
    out
}

/// A stored value as the text an input shows: a timestamp in local time with its seconds (an
/// untouched form must send back exactly what is stored).
pub fn input_text(f: &Field, v: &Value, time: &LocalTime) -> String {
    let text = super::query::as_text(v);
    match f.widget {
        Widget::DateTime => time.input_value(&text).unwrap_or(text),
        Widget::Vocab(term) => term.show(v).unwrap_or(text),
        Widget::Checkbox => {
            if text == "1" {
                "1".into()
            } else {
                String::new()
            }
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::registry::{field, l, Choice};
    use crate::config::ConfigValue;

    const F: Field = field("n", l("n", "n"), Widget::Int { min: 1, max: 10 });
    static U: std::sync::LazyLock<LocalTime> = std::sync::LazyLock::new(LocalTime::utc);

    #[test]
    fn widgets_parse_and_report() {
        assert_eq!(parse_field(&F, Some(" 3 "), &U).unwrap(), Value::Integer(3));
        assert_eq!(
            parse_field(&F, Some("0"), &U).unwrap_err().code,
            "min_value"
        );
        assert_eq!(
            parse_field(&F, Some("x"), &U).unwrap_err().code,
            "invalid_integer"
        );
        assert_eq!(parse_field(&F, None, &U).unwrap_err().code, "required");
        const C: &[Choice] = &[crate::admin::registry::choice("a", "가", "A")];
        let sel = field("s", l("s", "s"), Widget::Select(C));
        assert_eq!(
            parse_field(&sel, Some("b"), &U).unwrap_err().code,
            "invalid_choice"
        );
        let cb = field("c", l("c", "c"), Widget::Checkbox);
        assert_eq!(parse_field(&cb, None, &U).unwrap(), Value::Integer(0));
        assert_eq!(parse_field(&cb, Some("on"), &U).unwrap(), Value::Integer(1));
        let dt = field("d", l("d", "d"), Widget::DateTime);
        assert_eq!(
            parse_field(&dt, Some("2026-03-01T09:30"), &U).unwrap(),
            Value::Text("2026-03-01T09:30:00Z".into())
        );
        assert!(parse_field(&dt, Some("2026-13-01T09:30"), &U).is_err());
        let seoul = LocalTime::new(&crate::config::ZoneName::from_env("Asia/Seoul").unwrap());
        assert_eq!(
            parse_field(&dt, Some("2026-03-01T09:30:15"), &seoul).unwrap(),
            Value::Text("2026-03-01T00:30:15Z".into()),
            "the input is Korean time, stored UTC with its seconds"
        );
        let stored = Value::Text("2026-03-01T00:30:15Z".into());
        assert_eq!(input_text(&dt, &stored, &seoul), "2026-03-01T09:30:15");
        let len = field("d", l("d", "d"), Widget::Vocab(Term::LessonLength));
        assert_eq!(
            parse_field(&len, Some("7분 12초"), &U).unwrap(),
            Value::Integer(432)
        );
        assert_eq!(input_text(&len, &Value::Integer(432), &U), "7:12");
        assert_eq!(
            parse_field(&len, Some("7:61"), &U).unwrap_err().code,
            "invalid_duration"
        );
        let t = field("t", l("t", "t"), Widget::Text { max: 3 });
        assert_eq!(
            parse_field(&t, Some("가나다라"), &U).unwrap_err().code,
            "max_length"
        );
    }
}
