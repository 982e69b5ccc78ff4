//! The server's secret key and what is derived from it: keyed hashes of API tokens and session
//! ids, and signatures of password-reset links. The key comes from `server.secret_key`, or is
//! generated once and kept in the `settings` table so restarts keep tokens valid.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::AccountError;
use crate::hex::encode as hex;

#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// The configured key, or the one stored in the database (created on first use).
    pub fn resolve(conn: &Connection, configured: &str) -> Result<SecretKey, AccountError> {
        if !configured.is_empty() {
            return Ok(SecretKey(configured.as_bytes().to_vec()));
        }
        let stored: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'secret_key'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(value) = stored {
            return Ok(SecretKey(value.into_bytes()));
        }
        let value = random_token(48);
        conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES ('secret_key', ?1)",
            [&value],
        )?;
        let value: String = conn.query_row(
            "SELECT value FROM settings WHERE key = 'secret_key'",
            [],
            |r| r.get(0),
        )?;
        Ok(SecretKey(value.into_bytes()))
    }

    /// HMAC-SHA256 of `message` under this key, hex-encoded. Fast: safe to run per request.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Constant-time check of a signature made by `sign`.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.sign(purpose, message);
        expected.as_bytes().ct_eq(signature.as_bytes()).into()
    }
}

/// `bytes` random bytes from the OS generator, URL-safe base64 (no padding).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The S256 PKCE challenge of a code verifier (RFC 7636 §4.2): base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Plain SHA-256, hex: for values that are already random (session ids).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 UTC text for unix seconds.
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_depend_on_key_purpose_and_message() {
        let a = SecretKey(b"a".repeat(32));
        let b = SecretKey(b"b".repeat(32));
        let s = a.sign("reset", "1:2");
        assert!(a.verify("reset", "1:2", &s));
        assert!(!a.verify("token", "1:2", &s));
        assert!(!a.verify("reset", "1:3", &s));
        assert!(!b.verify("reset", "1:2", &s));
    }

    #[test]
    fn random_tokens_carry_enough_entropy() {
        let t = random_token(32);
        assert_eq!(t.len(), 43, "256 bits in base64url");
        assert_ne!(t, random_token(32));
    }

    #[test]
    fn a_generated_key_is_kept() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        let k1 = SecretKey::resolve(&conn, "").unwrap();
        let k2 = SecretKey::resolve(&conn, "").unwrap();
        assert_eq!(k1.0, k2.0);
        assert!(k1.0.len() >= 32);
    }
}
