//! Field-level validation errors shared by every domain: a map from field name to messages,
//! each with a stable code and, where a limit is involved, the limit. Pages translate the code
//! through the message catalog (`field_error.<code>`, with `{limit}` filled in); the API answers
//! the English message in DRF's `{"field": ["message"]}` shape. The common rules have one
//! constructor each, so every surface words them the same way.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Stable key; pages look up `field_error.<code>`.
    pub code: &'static str,
    /// English message for the API, naming the limit where there is one.
    pub message: String,
    /// The number a limit rule refers to (characters, bytes, bounds).
    pub limit: Option<i64>,
}

impl FieldError {
    pub fn new(code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            code,
            message: message.into(),
            limit: None,
        }
    }

    pub fn with_limit(mut self, limit: i64) -> FieldError {
        self.limit = Some(limit);
        self
    }

    pub fn required() -> FieldError {
        FieldError::new("required", "This field is required.")
    }

    pub fn max_length(limit: usize) -> FieldError {
        FieldError::new(
            "max_length",
            format!("Ensure this field has no more than {limit} characters."),
        )
        .with_limit(limit as i64)
    }

    pub fn max_bytes(limit: usize) -> FieldError {
        FieldError::new(
            "max_length",
            format!("Ensure this field has no more than {limit} bytes."),
        )
        .with_limit(limit as i64)
    }

    pub fn min_value(limit: i64) -> FieldError {
        FieldError::new(
            "min_value",
            format!("Ensure this value is greater than or equal to {limit}."),
        )
        .with_limit(limit)
    }

    pub fn max_value(limit: i64) -> FieldError {
        FieldError::new(
            "max_value",
            format!("Ensure this value is less than or equal to {limit}."),
        )
        .with_limit(limit)
    }

    pub fn invalid_integer() -> FieldError {
        FieldError::new("invalid_integer", "A valid integer is required.")
    }

    /// A password and its confirmation differ.
    pub fn password_mismatch() -> FieldError {
        FieldError::new("password_mismatch", "The two password fields didn't match.")
    }

    pub fn invalid_choice() -> FieldError {
        FieldError::new(
            "invalid_choice",
            "Select a valid choice. That choice is not one of the available choices.",
        )
    }

    pub fn null_character() -> FieldError {
        FieldError::new("null_character", "Null characters are not allowed.")
    }
}

/// Every failure of one input, keyed by field; parsers collect all of them, not the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<FieldError>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: &str, error: FieldError) {
        self.0.entry(field.to_owned()).or_default().push(error);
    }

    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.push(field, FieldError::new(code, message));
    }

    pub fn single(field: &str, error: FieldError) -> Self {
        let mut e = Self::new();
        e.push(field, error);
        e
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<FieldError>)> {
        self.0.iter()
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (field, list) in other.0 {
            self.0.entry(field).or_default().extend(list);
        }
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
                self.push(field, e);
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
