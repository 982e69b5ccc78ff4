//! The template engine: MiniJinja with every `assets/templates/*.html` loaded once at start, and
//! the functions and filters templates share — `t(key)` (message catalog, in the page's
//! `lang`), `url(name, **args)` (named routes), `duration`, `long_duration`, and `date` and
//! `datetime` (a stored UTC timestamp in the configured zone, `web::local_time`).

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::web::assets::Assets;
use crate::web::i18n::{Catalogs, Lang};
use crate::web::local_time::{long_duration, LocalTime};
use crate::web::routes;

pub struct Templates {
    env: Environment<'static>,
    time: Arc<LocalTime>,
}

impl Templates {
    pub fn load(catalogs: Arc<Catalogs>, time: LocalTime) -> Result<Templates, Error> {
        let time = Arc::new(time);
        let mut env = Environment::new();
        for path in Assets::iter().filter(|p| p.starts_with("templates/")) {
            let file = Assets::get(&path).expect("listed asset exists");
            let source = String::from_utf8_lossy(&file.data).into_owned();
            let name = path.trim_start_matches("templates/").to_owned();
            env.add_template_owned(name, source)?;
        }
        let messages = Messages::build(&catalogs);
        env.add_function("t", move |state: &State, key: &str| -> Value {
            messages.get(render_lang(state), key)
        });
        env.add_function("url", url);
        env.add_filter("duration", |state: &State, seconds: i64| {
            lesson_length(render_lang(state), seconds)
        });
        env.add_filter("thousands", thousands);
        env.add_filter("label", label);
        let t = time.clone();
        env.add_filter("date", move |state: &State, value: &str| {
            t.date(render_lang(state), value)
        });
        let t = time.clone();
        env.add_filter("datetime", move |state: &State, value: &str| {
            t.datetime(render_lang(state), value)
        });
        env.add_filter("long_duration", |state: &State, seconds: i64| {
            long_duration(render_lang(state), seconds)
        });
        Ok(Templates { env, time })
    }

    /// How dates and times are shown (the configured zone), for code that formats outside a
    /// template (the admin's CSV).
    pub fn time(&self) -> &LocalTime {
        &self.time
    }

    /// Renders a page template; in debug mode its time goes to the debug toolbar.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, Error> {
        let started = crate::web::toolbar::active().then(std::time::Instant::now);
        let out = self.render_plain(name, ctx);
        if let Some(at) = started {
            crate::web::toolbar::note_render(at.elapsed());
        }
        out
    }

    /// Calls macro `name` of `template` with `args`, the template evaluated with `ctx` (which
    /// needs `lang` for `t`): for fragments a page renders once and keeps.
    pub fn call_macro(
        &self,
        template: &str,
        name: &str,
        ctx: Value,
        args: &[Value],
    ) -> Result<String, Error> {
        let captured = self.env.get_template(template)?.render_captured(ctx)?;
        captured.state().call_macro(name, args)
    }

    /// Renders without timing (the toolbar itself).
    pub fn render_plain(&self, name: &str, ctx: Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// The catalogs as template values, built once: `t` hands out a reference-counted string
/// instead of allocating a copy per call (a lesson page makes about eighty calls).
struct Messages {
    by_lang: HashMap<Lang, HashMap<String, Value>>,
}

impl Messages {
    fn build(catalogs: &Catalogs) -> Messages {
        let by_lang = Lang::ALL
            .into_iter()
            .map(|lang| {
                let table = catalogs
                    .keys(lang)
                    .into_iter()
                    .map(|k| (k.to_owned(), Value::from(catalogs.get(lang, k))))
                    .collect();
                (lang, table)
            })
            .collect();
        Messages { by_lang }
    }

    /// The message for `key`; the key itself when missing, as `Catalogs::get` answers.
    fn get(&self, lang: Lang, key: &str) -> Value {
        self.by_lang
            .get(&lang)
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_else(|| Value::from(key))
    }
}

/// The page's language, looked up in the context once per render and kept as a temp: a
/// context lookup walks every enclosing frame (loops, blocks, macros) for each call.
fn render_lang(state: &State) -> Lang {
    const TEMP: &str = "t.lang";
    if let Some(code) = state.get_temp(TEMP) {
        return code.as_str().and_then(Lang::from_code).unwrap_or(Lang::Ko);
    }
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_code))
        .unwrap_or(Lang::Ko);
    state.set_temp(TEMP, Value::from(lang.code()));
    lang
}

/// Paths from `url_for` are percent-encoded, so they are safe to emit unescaped.
fn url(name: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let mut owned: Vec<(String, String)> = Vec::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        owned.push((key.to_owned(), v.to_string()));
    }
    let args: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    routes::url_for(name, &args)
        .map(Value::from_safe_string)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Seconds as `m:ss` or `h:mm:ss`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A lesson's length as its row shows it: a player's `m:ss` under an hour, words from an hour
/// on ("1시간 2분", not "1:02:03", which Korean readers take for a time of day).
pub fn lesson_length(lang: Lang, seconds: i64) -> String {
    if seconds >= 3600 {
        long_duration(lang, seconds)
    } else {
        duration(seconds)
    }
}

/// 13200 → "13,200", as Korean and English both write counts.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The name of a category (or anything with `name` and `name_en`) in the page's language.
fn label(state: &State, value: Value) -> Result<Value, Error> {
    let english = state
        .lookup("lang")
        .is_some_and(|l| l.as_str() == Some("en"));
    let name = if english {
        value.get_attr("name_en")?
    } else {
        Value::UNDEFINED
    };
    if name.is_undefined() || name.is_none() {
        value.get_attr("name")
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::duration(75), "1:15");
        assert_eq!(super::duration(3723), "1:02:03");
        assert_eq!(super::duration(-5), "0:00");
        use crate::web::i18n::Lang;
        assert_eq!(super::lesson_length(Lang::Ko, 1053), "17:33");
        assert_eq!(super::lesson_length(Lang::Ko, 3723), "1시간 2분");
        assert_eq!(super::lesson_length(Lang::En, 3723), "1 h 2 min");
        assert_eq!(super::thousands(13200), "13,200");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn every_template_compiles() {
        let catalogs = std::sync::Arc::new(super::Catalogs::load().unwrap());
        let zone = <crate::config::ZoneName as crate::config::ConfigValue>::from_env("Asia/Seoul");
        let time = super::LocalTime::new(&zone.unwrap());
        super::Templates::load(catalogs, time).expect("templates load");
    }
}
