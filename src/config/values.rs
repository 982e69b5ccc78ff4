//! The value types a configuration key can have — strings, booleans, integers, addresses, paths
//! and fixed word choices — each parsed from TOML or from an environment string with a message
//! that says what was expected.

use std::net::SocketAddr;
use std::path::PathBuf;

/// One value type a key can have: parsed from TOML or from an environment string.
pub trait ConfigValue: Sized {
    const KIND: &'static str;
    fn from_toml(value: &toml::Value) -> Result<Self, String>;
    fn from_env(text: &str) -> Result<Self, String>;
    fn show(&self) -> String;
}

impl ConfigValue for String {
    const KIND: &'static str = "string";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("expected a string, found {}", value.type_str()))
    }
    fn from_env(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn show(&self) -> String {
        format!("{self:?}")
    }
}

impl ConfigValue for bool {
    const KIND: &'static str = "boolean";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| format!("expected true or false, found {}", value.type_str()))
    }
    fn from_env(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, found {text:?}")),
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for u64 {
    const KIND: &'static str = "integer";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        let n = value
            .as_integer()
            .ok_or_else(|| format!("expected an integer, found {}", value.type_str()))?;
        u64::try_from(n).map_err(|_| format!("expected a non-negative integer, found {n}"))
    }
    fn from_env(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("expected a non-negative integer, found {text:?}"))
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for SocketAddr {
    const KIND: &'static str = "address";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        Self::from_env(&String::from_toml(value)?)
    }
    fn from_env(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("expected an address like 127.0.0.1:8000, found {text:?}"))
    }
    fn show(&self) -> String {
        format!("\"{self}\"")
    }
}

impl ConfigValue for PathBuf {
    const KIND: &'static str = "path";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        Self::from_env(&String::from_toml(value)?)
    }
    fn from_env(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("expected a file path, found an empty string".into());
        }
        Ok(PathBuf::from(text))
    }
    fn show(&self) -> String {
        format!("{:?}", self.display().to_string())
    }
}

/// An IANA time zone name (`Asia/Seoul`), checked at load against the time zone database
/// compiled into the binary (no system tzdata is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneName(String);

impl ZoneName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone; UTC only if the embedded database lost a name it accepted at load.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl ConfigValue for ZoneName {
    const KIND: &'static str = "time zone";
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        Self::from_env(&String::from_toml(value)?)
    }
    fn from_env(text: &str) -> Result<Self, String> {
        let name = text.trim();
        jiff::tz::TimeZone::get(name)
            .map(|_| ZoneName(name.to_owned()))
            .map_err(|_| format!("expected a time zone name like Asia/Seoul, found {text:?}"))
    }
    fn show(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// A string key limited to a fixed set of words (`synchronous`, `format`, …).
macro_rules! config_choice {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl ConfigValue for $name {
            const KIND: &'static str = concat!("one of:" $(, " ", $text)+);
            fn from_toml(value: &toml::Value) -> Result<Self, String> {
                Self::from_env(&String::from_toml(value)?)
            }
            fn from_env(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("expected {}, found {:?}", Self::KIND, text)),
                }
            }
            fn show(&self) -> String { format!("{:?}", self.as_str()) }
        }
    };
}

config_choice!(Synchronous { Normal = "normal", Full = "full" });
config_choice!(LogFormat { Pretty = "pretty", Json = "json" });
config_choice!(LogLevel { Trace = "trace", Debug = "debug", Info = "info", Warn = "warn", Error = "error" });
config_choice!(Language { Ko = "ko", En = "en" });
config_choice!(MailBackend { Log = "log", Smtp = "smtp", Memory = "memory" });
config_choice!(SmtpSecurity { StartTls = "starttls", Tls = "tls", None = "none" });
