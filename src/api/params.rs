//! Query parameter types that document a precise schema (integer, enum) in the OpenAPI spec but
//! arrive as raw text, so the domain's one parser checks them and answers DRF-style field
//! errors instead of the framework's generic parse failure.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseFromParameter, ParseResult, Type};

macro_rules! raw_param {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub String);

        impl Type for $name {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new($schema))
            }
            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }
            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromParameter for $name {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Ok($name(value.to_owned()))
            }
        }
    };
}

fn integer(minimum: f64) -> MetaSchema {
    MetaSchema {
        minimum: Some(minimum),
        ..MetaSchema::new_with_format("integer", "int64")
    }
}

fn choice(items: &[&str]) -> MetaSchema {
    MetaSchema {
        enum_items: items.iter().map(|s| serde_json::Value::from(*s)).collect(),
        ..MetaSchema::new("string")
    }
}

raw_param!(
    /// A whole number ≥ 1, checked by the domain parser.
    PositiveInt,
    integer(1.0)
);
raw_param!(
    /// `beginner`, `intermediate` or `advanced`.
    LevelParam,
    choice(crate::vocab::Level::NAMES)
);
raw_param!(
    /// A sort field, `-` for descending.
    OrderingParam,
    choice(&crate::catalog::Ordering::CHOICES)
);

/// Unwraps an optional raw parameter to its text.
pub fn text<T: AsRef<str>>(v: Option<T>) -> Option<String> {
    v.map(|s| s.as_ref().to_owned())
}

macro_rules! as_ref_str {
    ($($t:ident),+) => { $( impl AsRef<str> for $t { fn as_ref(&self) -> &str { &self.0 } } )+ };
}
as_ref_str!(PositiveInt, LevelParam, OrderingParam);
