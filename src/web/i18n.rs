//! Message catalogs (`assets/locale/<lang>.toml`, flat `"key" = "text"`) and choosing the
//! language of a request: the `lang` cookie, then `Accept-Language`, then the configured
//! default. Korean is the primary language; a test keeps both catalogs' keys identical.

use std::collections::HashMap;

use crate::config::Language;
use crate::web::assets::Assets;

pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ko, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        }
    }

    /// Cookie first, then the best `Accept-Language` match, then the default.
    pub fn negotiate(cookie: Option<&str>, accept: Option<&str>, default: Language) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::from_code) {
            return lang;
        }
        if let Some(header) = accept {
            let mut best: Option<(f32, Lang)> = None;
            for part in header.split(',') {
                let mut bits = part.trim().split(';');
                let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
                let q = bits
                    .find_map(|b| {
                        b.trim()
                            .strip_prefix("q=")
                            .and_then(|v| v.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                let primary = tag.split('-').next().unwrap_or("");
                if let Some(lang) = Lang::from_code(primary) {
                    if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                        best = Some((q, lang));
                    }
                }
            }
            if let Some((_, lang)) = best {
                return lang;
            }
        }
        match default {
            Language::Ko => Lang::Ko,
            Language::En => Lang::En,
        }
    }
}

/// Both catalogs, loaded once at start from the embedded assets.
#[derive(Debug)]
pub struct Catalogs {
    messages: HashMap<Lang, HashMap<String, String>>,
}

impl Catalogs {
    pub fn load() -> Result<Catalogs, String> {
        let mut messages = HashMap::new();
        for lang in Lang::ALL {
            let path = format!("locale/{}.toml", lang.code());
            let file = Assets::get(&path).ok_or_else(|| format!("missing catalog {path}"))?;
            let text = std::str::from_utf8(&file.data).map_err(|e| format!("{path}: {e}"))?;
            let table: HashMap<String, String> =
                toml::from_str(text).map_err(|e| format!("{path}: {e}"))?;
            messages.insert(lang, table);
        }
        Ok(Catalogs { messages })
    }

    /// The message for `key`; the key itself when missing (and a test fails on that).
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.messages
            .get(&lang)
            .and_then(|m| m.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// Field errors in `lang`: each error's `field_error.<code>` message with `{limit}` filled
    /// in, or the error's own (English) message when the catalogs have none.
    pub fn field_errors(
        &self,
        lang: Lang,
        errors: &crate::fields::FieldErrors,
    ) -> std::collections::BTreeMap<String, Vec<String>> {
        errors
            .iter()
            .map(|(field, list)| {
                let texts = list
                    .iter()
                    .map(|e| {
                        let key = format!("field_error.{}", e.code);
                        if !self.has(lang, &key) {
                            return e.message.clone();
                        }
                        let text = self.get(lang, &key);
                        match e.limit {
                            Some(n) => text.replace("{limit}", &n.to_string()),
                            None => text.to_owned(),
                        }
                    })
                    .collect();
                (field.clone(), texts)
            })
            .collect()
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.messages
            .get(&lang)
            .is_some_and(|m| m.contains_key(key))
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self.messages[&lang].keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let c = Catalogs::load().unwrap();
        let ko = c.keys(Lang::Ko);
        let en = c.keys(Lang::En);
        let only_ko: Vec<_> = ko.iter().filter(|k| !c.has(Lang::En, k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !c.has(Lang::Ko, k)).collect();
        assert!(only_ko.is_empty(), "keys missing in en.toml: {only_ko:?}");
        assert!(only_en.is_empty(), "keys missing in ko.toml: {only_en:?}");
    }

    #[test]
    fn every_key_used_by_templates_and_code_exists() {
        let c = Catalogs::load().unwrap();
        let mut sources: Vec<String> = Assets::iter()
            .filter(|p| p.ends_with(".html"))
            .map(|p| String::from_utf8_lossy(&Assets::get(&p).unwrap().data).into_owned())
            .collect();
        sources.push(include_str!("../pages/mod.rs").to_owned());
        sources.push(include_str!("../pages/catalog.rs").to_owned());
        let mut missing = Vec::new();
        for text in &sources {
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                for lang in Lang::ALL {
                    if !c.has(lang, key) {
                        missing.push(format!("{}:{key}", lang.code()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing catalog keys: {missing:?}");
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(
            Lang::negotiate(Some("en"), Some("ko"), Language::Ko),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, Some("en-US,en;q=0.9,ko;q=0.8"), Language::Ko),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, Some("ko-KR,ko;q=0.9,en;q=0.8"), Language::En),
            Lang::Ko
        );
        assert_eq!(Lang::negotiate(None, Some("fr"), Language::Ko), Lang::Ko);
        assert_eq!(Lang::negotiate(Some("xx"), None, Language::En), Lang::En);
    }
}
