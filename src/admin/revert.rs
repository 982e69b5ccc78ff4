//! Undoing one logged change ("이 변경 되돌리기"): each field the entry changed goes back to its
//! old value, read as the form would show it and parsed again by the field's own rules, so a
//! revert is a normal save — the same validation, the stale-edit fingerprint, the owner and row
//! rules, and its own history entry. What a revert cannot bring back is listed, not guessed: a
//! value the log clipped, a field this user may not set, many-to-many sets and inline rows
//! (each has its own entry and page).

use rusqlite::types::Value;
use rusqlite::Connection;

use super::forms::{input_text, parse_field};
use super::history::{self, Entry};
use super::registry::{Field, ModelAdmin, Widget};
use super::save::{editable_fields, Submission};
use super::store::{self, AdminError};
use crate::fields::FieldErrors;
use crate::vocab::Term;
use crate::web::local_time::LocalTime;

/// One field going back.
pub struct Step {
    pub field: &'static Field,
    pub current: Value,
    pub back: Value,
}

pub struct Plan {
    pub entry: Entry,
    /// How the object is named now.
    pub repr: String,
    pub steps: Vec<Step>,
    /// Names in the entry that this revert leaves as they are.
    pub skipped: Vec<String>,
    /// Every field this user may set: the current values with the steps applied.
    pub values: Vec<(&'static str, Value)>,
    /// The current object's fingerprint (the stale-edit check compares against it).
    pub fingerprint: String,
}

/// Whether the log cut this value (`history::change` keeps 300 characters and adds `…`).
fn clipped(logged: &str) -> bool {
    logged.ends_with('…') && logged.chars().count() > 300
}

/// A logged text back as the value the column held.
fn stored(f: &Field, logged: &str) -> Value {
    let number = matches!(
        f.widget,
        Widget::Int { .. }
            | Widget::Checkbox
            | Widget::Fk { .. }
            | Widget::Vocab(Term::LessonLength)
    );
    match logged.parse::<i64>() {
        Ok(n) if number => Value::Integer(n),
        _ if logged.is_empty() && matches!(f.widget, Widget::DateTime | Widget::Fk { .. }) => {
            Value::Null
        }
        _ => Value::Text(logged.to_owned()),
    }
}

/// The revert of `entry_id` on object `id` of `m`, as this user may do it. Field errors (an old
/// value today's rules refuse) go to `errors`; the plan still lists what would change.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    conn: &Connection,
    m: &'static ModelAdmin,
    id: i64,
    entry_id: i64,
    owner: Option<i64>,
    superuser: bool,
    time: &LocalTime,
    errors: &mut FieldErrors,
) -> Result<Plan, AdminError> {
    let entry = history::by_id(conn, entry_id)?
        .filter(|e| e.model == m.key && e.object_id == id && e.action == "change")
        .ok_or(AdminError::NotFound)?;
    let obj = store::load(conn, m, id, owner)?.ok_or(AdminError::NotFound)?;
    let editable = editable_fields(m, superuser, owner);
    let current = |f: &Field| {
        m.fields
            .iter()
            .position(|g| g.name == f.name)
            .map_or(Value::Null, |i| obj.values[i].clone())
    };
    let mut values: Vec<(&'static str, Value)> =
        editable.iter().map(|f| (f.name, current(f))).collect();
    let (mut steps, mut skipped) = (Vec::new(), Vec::new());
    for c in &entry.changes {
        let Some(f) = editable.iter().copied().find(|f| f.name == c.field) else {
            skipped.push(c.field.clone());
            continue;
        };
        if clipped(&c.old) {
            skipped.push(c.field.clone());
            continue;
        }
        // Through the form's own text and parser: a value today's rules refuse is an error.
        let text = input_text(f, &stored(f, &c.old), time);
        let raw = match f.widget {
            Widget::Checkbox if text.is_empty() => None,
            _ => Some(text.as_str()),
        };
        match parse_field(f, raw, time) {
            Ok(back) => {
                if let Some(slot) = values.iter_mut().find(|(n, _)| *n == f.name) {
                    slot.1 = back.clone();
                }
                steps.push(Step {
                    field: f,
                    current: current(f),
                    back,
                });
            }
            Err(e) => errors.push(f.name, e),
        }
    }
    Ok(Plan {
        entry,
        repr: obj.repr.clone(),
        steps,
        skipped,
        values,
        fingerprint: store::fingerprint(&obj.values),
    })
}

impl Plan {
    /// The save this revert is: the plan's values, nothing else touched, checked against the
    /// fingerprint the person saw.
    pub fn submission(&self, seen: Option<String>) -> Submission {
        Submission {
            values: self.values.clone(),
            m2m: Vec::new(),
            inlines: Vec::new(),
            fingerprint: seen,
            password_hash: None,
        }
    }
}
