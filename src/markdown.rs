//! Markdown to safe HTML for every user-written text (course descriptions, lesson bodies):
//! pulldown-cmark renders, ammonia removes anything executable (script, event handlers,
//! `javascript:` URLs). Callers may mark the result safe in templates; nothing else may be.

use pulldown_cmark::{html, Options, Parser};

pub fn to_safe_html(source: &str) -> String {
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
}
