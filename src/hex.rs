//! Lower-case hexadecimal of bytes: the one encoder for digests and keys (asset versions,
//! upload names, form fingerprints, session ids, the API docs' version).

use std::fmt::Write;

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_digits_per_byte() {
        assert_eq!(super::encode(&[0, 15, 16, 255]), "000f10ff");
        assert_eq!(super::encode(&[]), "");
    }
}
