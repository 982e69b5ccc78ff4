//! Markdown to safe HTML for every user-written text (course descriptions, lesson bodies):
//! pulldown-cmark renders, ammonia removes anything executable (script, event handlers,
//! `javascript:` URLs). Callers may mark the result safe in templates; nothing else may be.
//! Sanitising parses HTML and costs tens of microseconds, so results are memoised by their
//! source text: the output is a pure function of the input, so the memo can never be stale.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use pulldown_cmark::{html, Options, Parser};

/// Most memoised results kept (the memo empties itself when full).
const MEMO_ENTRIES: usize = 4096;
/// Longer sources are rendered every time rather than kept in memory.
const MEMO_MAX_SOURCE: usize = 32 * 1024;

/// (source, sanitised HTML), keyed by the source's hash.
type Entries = HashMap<u64, (Arc<str>, Arc<str>)>;

struct Memo {
    hasher: RandomState,
    entries: RwLock<Entries>,
}

fn memo() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(|| Memo {
        hasher: RandomState::new(),
        entries: RwLock::new(HashMap::new()),
    })
}

/// `render`, memoised by source text.
pub fn to_safe_html(source: &str) -> String {
    if source.len() > MEMO_MAX_SOURCE {
        return render(source);
    }
    let memo = memo();
    let key = memo.hasher.hash_one(source);
    if let Some((src, html)) = memo.entries.read().get(&key) {
        if &**src == source {
            return html.to_string();
        }
    }
    let html = render(source);
    let mut entries = memo.entries.write();
    if entries.len() >= MEMO_ENTRIES {
        entries.clear();
    }
    entries.insert(key, (Arc::from(source), Arc::from(html.as_str())));
    html
}

fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(source, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown() {
        let html = to_safe_html("## 목표\n\n**린 스타트업** 방법론");
        assert!(html.contains("<h2>목표</h2>"));
        assert!(html.contains("<strong>린 스타트업</strong>"));
    }

    #[test]
    fn strips_everything_executable() {
        let html = to_safe_html(
            "<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) \
             <a href=\"JaVaScRiPt:alert(1)\">y</a> [z](data:text/html,<b>)",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("href=\"javascript"), "{html}");
        assert!(!lower.contains("href=\"data:"), "{html}");
        assert!(
            lower.contains("<a rel=\"noopener noreferrer\">x</a>"),
            "{html}"
        );
    }

    /// Known XSS payloads (OWASP's filter-evasion cheat sheet and friends), each alone and inside
    /// markdown: nothing executable may survive.
    #[test]
    fn no_known_payload_survives() {
        let corpus = include_str!("../tests/data/xss-payloads.txt");
        let payloads: Vec<&str> = corpus.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(payloads.len() >= 50, "{} payloads", payloads.len());
        for payload in payloads {
            for source in [
                payload.to_owned(),
                format!("## 제목\n\n본문 {payload} 끝\n\n- {payload}"),
            ] {
                let html = to_safe_html(&source).to_lowercase();
                let attrs: Vec<&str> = html
                    .split('<')
                    .skip(1)
                    .map(|tag| tag.split('>').next().unwrap_or(""))
                    .collect();
                for tag in &attrs {
                    let name = tag.split_whitespace().next().unwrap_or("");
                    assert!(
                        ![
                            "script", "iframe", "object", "embed", "svg", "math", "style", "link",
                            "meta", "base", "form", "frame", "frameset", "body", "input", "button",
                            "template", "video", "audio", "marquee", "isindex", "bgsound"
                        ]
                        .contains(&name.trim_start_matches('/')),
                        "<{name}> survived {payload:?}: {html}"
                    );
                    assert!(
                        !tag.contains(" on"),
                        "an event handler survived {payload:?}: {html}"
                    );
                    for scheme in ["javascript:", "vbscript:", "data:"] {
                        assert!(
                            !tag.contains(&format!("=\"{scheme}")),
                            "{scheme} URL survived {payload:?}: {html}"
                        );
                    }
                    assert!(
                        !tag.contains("style="),
                        "inline style survived {payload:?}: {html}"
                    );
                }
            }
        }
    }
}
