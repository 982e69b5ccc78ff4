//! Password-reset links: `<expiry>-<signature>` where the signature covers the user id, the
//! expiry and the user's current password hash. Nothing is stored: the link stops working when
//! it expires and as soon as the password changes — so it works once.

use super::keys::SecretKey;

const PURPOSE: &str = "password-reset";

fn message(user_id: i64, expires: i64, password_hash: &str) -> String {
    format!("{user_id}:{expires}:{password_hash}")
}

pub fn make_token(key: &SecretKey, user_id: i64, password_hash: &str, expires: i64) -> String {
    let sig = key.sign(PURPOSE, &message(user_id, expires, password_hash));
    format!("{expires}-{sig}")
}

/// Whether `token` is a valid, unexpired link for this user and password hash.
pub fn check_token(
    key: &SecretKey,
    user_id: i64,
    password_hash: &str,
    token: &str,
    now: i64,
) -> bool {
    let Some((expires, sig)) = token.split_once('-') else {
        return false;
    };
    let Ok(expires) = expires.parse::<i64>() else {
        return false;
    };
    expires > now && key.verify(PURPOSE, &message(user_id, expires, password_hash), sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_die_with_the_password() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        let key = SecretKey::resolve(&conn, "").unwrap();
        let t = make_token(&key, 7, "$argon2id$old", 1000);
        assert!(check_token(&key, 7, "$argon2id$old", &t, 999));
        assert!(!check_token(&key, 7, "$argon2id$old", &t, 1000), "expired");
        assert!(
            !check_token(&key, 7, "$argon2id$new", &t, 999),
            "password changed"
        );
        assert!(
            !check_token(&key, 8, "$argon2id$old", &t, 999),
            "other user"
        );
        assert!(
            !check_token(&key, 7, "$argon2id$old", "2000-deadbeef", 999),
            "forged"
        );
        assert!(!check_token(&key, 7, "$argon2id$old", "garbage", 999));
    }
}
