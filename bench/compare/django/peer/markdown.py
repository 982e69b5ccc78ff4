"""Markdown to safe HTML: markdown-it-py (CommonMark, with tables and strikethrough) and nh3
(Python bindings of ammonia, the sanitiser hancup uses). Memoised by source like hancup's
src/markdown.rs, which keeps 4,096 rendered descriptions whether or not the response cache is on.
"""
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=4096)
def to_safe_html(source):
    return nh3.clean(_md.render(source), url_schemes=_SCHEMES)
