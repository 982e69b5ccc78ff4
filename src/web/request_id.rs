//! The request id: taken from the client's or proxy's `X-Request-Id` when it is 1–128 visible
//! ASCII characters, otherwise generated (32 hex digits). It is put in the request's log span
//! and returned in the response's `X-Request-Id`, so a log line can be found from a response.

use poem::Request;
use rand::Rng;

pub const HEADER: &str = "x-request-id";

/// A usable id sent by the client, if any.
fn sent(req: &Request) -> Option<&str> {
    req.header(HEADER)
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
}

/// The id for this request.
pub fn of(req: &Request) -> String {
    match sent(req) {
        Some(id) => id.to_owned(),
        None => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let bytes: [u8; 16] = rand::rng().random();
            let mut id = String::with_capacity(32);
            for b in bytes {
                id.push(HEX[usize::from(b >> 4)] as char);
                id.push(HEX[usize::from(b & 15)] as char);
            }
            id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> String {
        of(&Request::builder().header(HEADER, value).finish())
    }

    #[test]
    fn keeps_a_valid_id_and_replaces_a_bad_one() {
        assert_eq!(with("abc-123_x.Y"), "abc-123_x.Y");
        let long = "a".repeat(129);
        for bad in ["has space", "", long.as_str()] {
            let id = with(bad);
            assert_eq!(id.len(), 32, "{bad:?} → {id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_eq!(with(&"b".repeat(128)).len(), 128);
    }
}
