//! Field-level validation errors shared by every domain: a map from field name to messages,
//! each with a stable code (pages translate the code through the message catalog; the API
//! answers the English message in DRF's `{"field": ["message"]}` shape).

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Stable key, also the catalog key `error.<code>` on pages.
    pub code: &'static str,
    /// English message for the API, naming the limit where there is one.
    pub message: String,
}

/// Every failure of one input, keyed by field; parsers collect all of them, not the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<FieldError>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(FieldError {
                code,
                message: message.into(),
            });
    }

    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, code, message);
        e
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<FieldError>)> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing was recorded, else the errors.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Keeps the value of a field parser, recording its error under `field`.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, FieldError>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.entry(field.to_owned()).or_default().push(e);
                None
            }
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| {
                let msgs: Vec<&str> = v.iter().map(|e| e.message.as_str()).collect();
                format!("{k}: {}", msgs.join(" "))
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}
