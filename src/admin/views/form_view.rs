//! The add/change form as the template sees it: one entry per field with its widget, the value
//! to show (from the database, or the user's own input after an error), choices, errors;
//! many-to-many checkboxes; inline rows with a blank template row for "add another"; read-only
//! fields and uploads. Choices of each foreign-key table are read once per page.

use std::collections::HashMap;

use minijinja::{context, Value};
use rusqlite::Connection;

use super::{model_url, url, AdminCtx};
use crate::accounts::perms::Action;
use crate::admin::forms::{input_text, AdminForm};
use crate::admin::models;
use crate::admin::query;
use crate::admin::registry::{Field, ModelAdmin, Widget};
use crate::admin::save::{editable_fields, inline_fields};
use crate::admin::store::{self, AdminError, Object};
use crate::fields::FieldErrors;
use crate::web::i18n::Lang;
use crate::web::local_time::LocalTime;
use crate::web::AppState;

/// An inline's rows on the form: (form index, id when stored, marked for deletion).
pub type InlineRows = Vec<(usize, Option<i64>, bool)>;

/// What the inputs hold: their text by input name, the many-to-many selections and the inline
/// rows (form index, id, marked for deletion).
pub struct FormState {
    pub raw: HashMap<String, String>,
    pub m2m: HashMap<&'static str, Vec<i64>>,
    pub inline_rows: HashMap<&'static str, InlineRows>,
}

impl FormState {
    /// The state of a form showing `object` (or a blank add form).
    pub fn from_db(
        conn: &Connection,
        m: &'static ModelAdmin,
        object: Option<&Object>,
        time: &LocalTime,
    ) -> Result<FormState, AdminError> {
        let mut raw = HashMap::new();
        let mut m2m = HashMap::new();
        let mut inline_rows = HashMap::new();
        if let Some(obj) = object {
            for (f, v) in m.fields.iter().zip(&obj.values) {
                raw.insert(f.name.to_owned(), input_text(f, v, time));
            }
            for x in m.m2m {
                m2m.insert(x.name, store::m2m_selected(conn, x, obj.id)?);
            }
        }
        for inline in m.inlines {
            let Some(child) = models::find(inline.model) else {
                continue;
            };
            let mut rows = Vec::new();
            if let Some(obj) = object {
                for (i, (id, values)) in store::inline_rows(conn, child, inline, obj.id)?
                    .into_iter()
                    .enumerate()
                {
                    for (f, v) in child.fields.iter().zip(&values) {
                        raw.insert(
                            format!("{}-{i}-{}", inline.model, f.name),
                            input_text(f, v, time),
                        );
                    }
                    rows.push((i, Some(id), false));
                }
            }
            let start = rows.len();
            rows.extend((start..start + inline.extra).map(|i| (i, None, false)));
            inline_rows.insert(inline.model, rows);
        }
        Ok(FormState {
            raw,
            m2m,
            inline_rows,
        })
    }

    /// The state of a submitted form, to show it again with its errors.
    pub fn from_form(m: &'static ModelAdmin, form: &AdminForm) -> FormState {
        let mut inline_rows = HashMap::new();
        for inline in m.inlines {
            let total = form
                .get(&format!("{}-TOTAL", inline.model))
                .and_then(|t| t.parse::<usize>().ok())
                .unwrap_or(0)
                .min(crate::admin::save::MAX_INLINE_ROWS);
            let rows = (0..total)
                .map(|i| {
                    let p = format!("{}-{i}-", inline.model);
                    (
                        i,
                        form.get(&format!("{p}id")).and_then(|v| v.parse().ok()),
                        form.get(&format!("{p}DELETE")).is_some(),
                    )
                })
                .collect();
            inline_rows.insert(inline.model, rows);
        }
        FormState {
            raw: form.raw(),
            m2m: m.m2m.iter().map(|x| (x.name, form.ids(x.name))).collect(),
            inline_rows,
        }
    }
}

struct Builder<'a> {
    conn: &'a Connection,
    ctx: &'a AdminCtx,
    errors: Value,
    fk_cache: HashMap<&'static str, Vec<(i64, String)>>,
    /// The zone's abbreviation, shown beside date-and-time inputs (they take local time).
    zone: String,
}

impl Builder<'_> {
    fn field(
        &mut self,
        f: &Field,
        input: &str,
        value: &str,
        disabled: bool,
    ) -> Result<Value, AdminError> {
        let lang = self.ctx.lang;
        let mut choices: Vec<Value> = Vec::new();
        let mut value_label = None;
        let mut autocomplete_url = None;
        let widget = match f.widget {
            Widget::Text { .. } => "text",
            Widget::TextArea { .. } => "textarea",
            // Inline rows are table cells: no room for a preview beside the text.
            Widget::Markdown { .. } if input.contains('-') => "textarea",
            Widget::Markdown { .. } => "markdown",
            Widget::Int { .. } => "number",
            Widget::Checkbox => "checkbox",
            Widget::DateTime => "datetime",
            Widget::Vocab(_) => "text",
            Widget::Select(cs) => {
                choices = cs
                    .iter()
                    .map(|c| context! { value => c.value, label => c.label.get(lang), selected => c.value == value })
                    .collect();
                "select"
            }
            Widget::Fk {
                table,
                label_sql,
                autocomplete: true,
            } => {
                if let Ok(id) = value.parse::<i64>() {
                    let related = self.ctx.related(table);
                    value_label = store::label_of(self.conn, table, label_sql, id, related)?;
                }
                let target = models::REGISTRY.iter().find(|m| m.table == table);
                autocomplete_url = target.map(|t| model_url("admin_autocomplete", t, None));
                "autocomplete"
            }
            Widget::Fk {
                table,
                label_sql,
                autocomplete: false,
            } => {
                if !self.fk_cache.contains_key(table) {
                    self.fk_cache.insert(
                        table,
                        store::choices(self.conn, table, label_sql, 1000, self.ctx.related(table))?,
                    );
                }
                choices = self.fk_cache[table]
                    .iter()
                    .map(|(id, l)| {
                        let v = id.to_string();
                        context! { selected => v == value, value => v, label => l }
                    })
                    .collect();
                "select"
            }
        };
        let (min, max) = match f.widget {
            Widget::Int { min, max } => (Some(min), Some(max)),
            Widget::Text { max } | Widget::TextArea { max } | Widget::Markdown { max } => {
                (None, Some(max as i64))
            }
            Widget::Vocab(term) => (None, Some(term.max_chars() as i64)),
            _ => (None, None),
        };
        Ok(context! {
            name => input,
            label => f.label.get(lang),
            widget,
            value,
            required => f.required,
            min,
            max,
            choices,
            value_label,
            autocomplete_url,
            disabled,
            zone => matches!(f.widget, Widget::DateTime).then(|| self.zone.clone()),
            errors => self.errors.get_attr(input).ok().filter(|v| !v.is_undefined()),
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    conn: &Connection,
    state: &AppState,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    object: Option<&Object>,
    fs: &FormState,
    errors: &FieldErrors,
) -> Result<Value, AdminError> {
    let lang = ctx.lang;
    let is_add = object.is_none();
    // The target-row rule: a row this user may not write (a superuser's account, for staff)
    // is shown read-only, without the delete and password links; the POSTs refuse it anyway.
    let row_writable = match object {
        Some(o) => store::may_write(conn, m, &ctx.user, o.id).is_ok(),
        None => true,
    };
    let can_save = row_writable
        && if is_add {
            ctx.can(m, Action::Add)
        } else {
            ctx.can(m, Action::Change)
        };
    let errs = ctx.field_errors(state, errors);
    let mut b = Builder {
        conn,
        ctx,
        errors: errs.clone(),
        fk_cache: HashMap::new(),
        zone: state.templates.time().abbreviation(),
    };
    let editable = editable_fields(m, ctx.is_superuser(), ctx.owner);
    let owner_col = ctx.owner.and(m.owner).and_then(|o| o.column);
    let mut fields = Vec::new();
    for f in m.fields.iter().filter(|f| Some(f.name) != owner_col) {
        let value = fs.raw.get(f.name).cloned().unwrap_or_default();
        let disabled = !can_save || !editable.iter().any(|e| e.name == f.name);
        fields.push(b.field(f, f.name, &value, disabled)?);
    }
    let mut m2m = Vec::new();
    for x in m.m2m {
        let selected = fs.m2m.get(x.name).cloned().unwrap_or_default();
        let choices: Vec<Value> = store::choices(
            conn,
            x.table,
            x.label_sql,
            1000,
            ctx.related(x.table),
        )?
        .into_iter()
        .map(|(id, label)| context! { value => id, label, checked => selected.contains(&id) })
        .collect();
        m2m.push(context! {
            name => x.name,
            label => x.label.get(lang),
            choices,
            disabled => !can_save || (x.superuser_only && !ctx.is_superuser()),
        });
    }
    let mut inlines = Vec::new();
    for inline in m.inlines {
        let Some(child) = models::find(inline.model) else {
            continue;
        };
        // An inline is its own model: without its view permission it is not shown; without
        // change it is shown read-only and posts nothing; rows are added only with add and
        // marked for deletion only with delete (the POST checks the same, `inline_refusal`).
        if !ctx.can(child, Action::View) {
            continue;
        }
        let writable = can_save && ctx.can(child, Action::Change);
        let (can_add, can_delete) = (
            writable && ctx.can(child, Action::Add),
            writable && ctx.can(child, Action::Delete),
        );
        let fields_of = inline_fields(child, inline);
        let rows_in: InlineRows = fs
            .inline_rows
            .get(inline.model)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, id, _)| id.is_some() || can_add)
            .collect();
        let mut rows = Vec::new();
        for (i, id, delete) in &rows_in {
            let prefix = format!("{}-{i}-", inline.model);
            let mut cells = Vec::new();
            for f in &fields_of {
                let input = format!("{prefix}{}", f.name);
                let value = fs.raw.get(&input).cloned().unwrap_or_default();
                cells.push(b.field(f, &input, &value, !writable)?);
            }
            let order_value = inline
                .order
                .and_then(|o| fs.raw.get(&format!("{prefix}{o}")).cloned())
                .unwrap_or_else(|| (i + 1).to_string());
            // The row's own page: the roomy editor with its live preview.
            let edit_url = id
                .filter(|_| ctx.can(child, Action::View))
                .map(|rid| super::link(model_url("admin_change", child, Some(rid))));
            rows.push(
                context! { index => i, prefix, id, delete, fields => cells, order_value, edit_url },
            );
        }
        let mut template_fields = Vec::new();
        for f in &fields_of {
            template_fields.push(b.field(
                f,
                &format!("{}-__prefix__-{}", inline.model, f.name),
                "",
                false,
            )?);
        }
        inlines.push(context! {
            key => inline.model,
            label => child.label.get(lang),
            plural => child.plural.get(lang),
            order_field => inline.order,
            total => rows_in.iter().map(|(i, _, _)| i + 1).max().unwrap_or(0),
            writable,
            can_add,
            can_delete,
            headers => fields_of.iter().map(|f| f.label.get(lang)).collect::<Vec<_>>(),
            rows,
            template_fields,
        });
    }
    let readonly: Vec<Value> = object
        .map(|o| {
            m.readonly
                .iter()
                .zip(&o.readonly)
                .map(|(c, v)| context! { label => c.label.get(lang), value => query::display(v, c.display, lang, state.templates.time()) })
                .collect()
        })
        .unwrap_or_default();
    let uploads: Vec<Value> = object
        .map(|o| {
            m.uploads
                .iter()
                .zip(&o.uploads)
                .map(|(u, path)| {
                    context! {
                        label => u.label.get(lang),
                        field => u.field,
                        current => (!path.is_empty()).then(|| url("media", &[("path", path)])),
                        upload_url => url("admin_upload", &[("model", m.key), ("id", &o.id.to_string()), ("field", u.field)]),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let id = object.map(|o| o.id);
    Ok(context! {
        model => super::model_context(ctx, m),
        object => object.map(|o| context! { id => o.id, repr => o.repr.clone() }),
        is_add,
        can_save,
        can_add_another => ctx.can(m, Action::Add),
        sections => sections(m, lang, fields),
        m2m,
        inlines,
        readonly,
        uploads,
        errors => errs.clone(),
        non_field_errors => errs.get_attr(store::NON_FIELD).ok().filter(|v| !v.is_undefined()),
        fingerprint => fs.raw.get("_fingerprint").cloned().or_else(|| object.map(|o| store::fingerprint(&o.values))),
        password_fields => is_add && m.password,
        password_min => state.config.auth.password_min_length,
        post_url => match id { Some(_) => model_url("admin_change", m, id), None => model_url("admin_add", m, None) },
        history_url => id.map(|_| model_url("admin_history", m, id)),
        site_url => match object {
            Some(o) => store::site_url(conn, m, o.id)?,
            None => None,
        },
        delete_url => id.filter(|_| row_writable && ctx.can(m, Action::Delete)).map(|_| model_url("admin_delete", m, id)),
        password_url => id.filter(|_| row_writable && m.password && ctx.can(m, Action::Change)).map(|_| model_url("admin_password", m, id)),
        preview_url => url("admin_preview", &[]),
        max_upload => state.config.media.max_upload_bytes,
    })
}

/// The form's fields grouped by `ModelAdmin::sections`: first those in no section (untitled),
/// then each titled section in order.
fn sections(m: &ModelAdmin, lang: Lang, fields: Vec<Value>) -> Vec<Value> {
    let name_of = |v: &Value| {
        v.get_attr("name")
            .ok()
            .and_then(|n| n.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let in_section = |name: &str| m.sections.iter().any(|s| s.fields.contains(&name));
    let loose: Vec<Value> = fields
        .iter()
        .filter(|f| !in_section(&name_of(f)))
        .cloned()
        .collect();
    let mut out = Vec::new();
    if !loose.is_empty() || m.sections.is_empty() {
        out.push(context! { label => None::<&str>, fields => loose });
    }
    for s in m.sections {
        let own: Vec<Value> = s
            .fields
            .iter()
            .filter_map(|name| fields.iter().find(|f| name_of(f) == *name).cloned())
            .collect();
        if !own.is_empty() {
            out.push(context! { label => s.label.get(lang), fields => own });
        }
    }
    out
}
