//! Password-reset links: `<expiry>-<signature>` where the signature covers the user id, the
//! expiry and what a reset must not outlive — the current password hash, the e-mail address
//! and the last login time (Django's choice). Nothing is stored: the link stops working when it
//! expires, as soon as the password changes (so it works once), when the address changes (a
//! link mailed to the old address dies), and at the next login (a link the owner did not use
//! dies once they show they still hold the account).

use super::keys::SecretKey;
use super::users::User;

const PURPOSE: &str = "password-reset";

fn message(user: &User, expires: i64, password_hash: &str) -> String {
    format!(
        "{}:{expires}:{password_hash}:{}:{}",
        user.id,
        user.email.to_lowercase(),
        user.last_login_at.as_deref().unwrap_or("")
    )
}

pub fn make_token(key: &SecretKey, user: &User, password_hash: &str, expires: i64) -> String {
    let sig = key.sign(PURPOSE, &message(user, expires, password_hash));
    format!("{expires}-{sig}")
}

/// Whether `token` is a valid, unexpired link for this user as they are now.
pub fn check_token(
    key: &SecretKey,
    user: &User,
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
    expires > now && key.verify(PURPOSE, &message(user, expires, password_hash), sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_die_with_the_password_the_address_and_a_login() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        let key = SecretKey::resolve(&conn, "").unwrap();
        let user = User {
            id: 7,
            email: "a@b.kr".into(),
            display_name: "가".into(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            created_at: String::new(),
            last_login_at: None,
        };
        let t = make_token(&key, &user, "$argon2id$old", 1000);
        assert!(check_token(&key, &user, "$argon2id$old", &t, 999));
        assert!(
            !check_token(&key, &user, "$argon2id$old", &t, 1000),
            "expired"
        );
        assert!(
            !check_token(&key, &user, "$argon2id$new", &t, 999),
            "password changed"
        );
        let other = User {
            id: 8,
            ..user.clone()
        };
        assert!(
            !check_token(&key, &other, "$argon2id$old", &t, 999),
            "other user"
        );
        let moved = User {
            email: "new@b.kr".into(),
            ..user.clone()
        };
        assert!(
            !check_token(&key, &moved, "$argon2id$old", &t, 999),
            "e-mail changed"
        );
        let back = User {
            last_login_at: Some("2026-12-03T10:00:00Z".into()),
            ..user.clone()
        };
        assert!(
            !check_token(&key, &back, "$argon2id$old", &t, 999),
            "logged in since"
        );
        assert!(
            !check_token(&key, &user, "$argon2id$old", "2000-deadbeef", 999),
            "forged"
        );
        assert!(!check_token(&key, &user, "$argon2id$old", "garbage", 999));
    }
}
