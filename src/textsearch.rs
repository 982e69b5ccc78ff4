//! How text becomes full-text search tokens, for indexing (the `search_tokens()` SQL function
//! that the schema's triggers call) and for querying (`match_expression`). Hangul runs become
//! overlapping two-syllable tokens so Korean words match inside compounds and with particles;
//! other words stay whole and are queried by prefix. Text is NFC-normalised on both sides, so
//! decomposed input (as some keyboards and macOS send it) finds composed text.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use unicode_normalization::UnicodeNormalization;

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// A piece of normalised text: a run of Hangul or a word of anything else alphanumeric.
enum Piece {
    Hangul(Vec<char>),
    Word(String),
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut hangul: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in text.nfc() {
        if is_hangul(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            hangul.push(c);
        } else {
            if !hangul.is_empty() {
                out.push(Piece::Hangul(std::mem::take(&mut hangul)));
            }
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !hangul.is_empty() {
        out.push(Piece::Hangul(hangul));
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    out
}

fn bigrams(run: &[char]) -> Vec<String> {
    if run.len() == 1 {
        return vec![run[0].to_string()];
    }
    run.windows(2).map(|w| w.iter().collect()).collect()
}

/// The indexed form of `text`: space-separated tokens for FTS5's unicode61 tokenizer.
pub fn index_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for piece in pieces(text) {
        let tokens = match piece {
            Piece::Hangul(run) => bigrams(&run),
            Piece::Word(w) => vec![w],
        };
        for t in tokens {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
    }
    out
}

/// An FTS5 MATCH expression for what a visitor typed, or `None` when it holds nothing
/// searchable. Every term must match (AND); a Hangul word is a phrase of its bigrams, a single
/// syllable or another word matches as a prefix. Built only from tokens it produced, so no
/// FTS5 syntax from the input survives.
pub fn match_expression(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    for piece in pieces(input) {
        match piece {
            Piece::Hangul(run) if run.len() == 1 => terms.push(format!("\"{}\"*", run[0])),
            Piece::Hangul(run) => terms.push(format!("\"{}\"", bigrams(&run).join(" "))),
            Piece::Word(w) => terms.push(format!("\"{w}\"*")),
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Registers `search_tokens(text)` on a connection; every connection the binary opens has it.
pub fn register_sql_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "search_tokens",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| index_tokens(&t)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_becomes_bigrams_and_words_stay_whole() {
        assert_eq!(index_tokens("창업 아이디어"), "창업 아이 이디 디어");
        assert_eq!(index_tokens("Lean Startup 입문"), "lean startup 입문");
        assert_eq!(index_tokens("창업을"), "창업 업을");
    }

    #[test]
    fn queries_match_korean_partial_words_and_ignore_syntax() {
        assert_eq!(match_expression("창업").as_deref(), Some("\"창업\""));
        assert_eq!(match_expression("마케팅").as_deref(), Some("\"마케 케팅\""));
        assert_eq!(match_expression("창").as_deref(), Some("\"창\"*"));
        // Operators and quotes become plain quoted terms, never FTS5 syntax.
        assert_eq!(
            match_expression("pitch\" OR *").as_deref(),
            Some("\"pitch\"* \"or\"*")
        );
        assert_eq!(match_expression("  -- ;"), None);
    }

    #[test]
    fn decomposed_hangul_is_normalised() {
        let decomposed: String = "창업".nfd().collect();
        assert_eq!(match_expression(&decomposed), match_expression("창업"));
    }
}
