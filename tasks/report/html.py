"""html: the page's frame and its small pieces (facts, validation, links), every text escaped.

The page must open anywhere: offline, in an air-gapped intranet, straight from object storage. So the CSS
is inline, pictures are ``data:`` URIs, there is no script and no absolute URL; and everything that comes
from a file (names, ids, expectation names) goes through ``html.escape``, since a file name is input.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from urllib.parse import quote

from tasks.report.facts import Validation

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table.facts{border-collapse:collapse}table.facts th{text-align:left;padding:2px 16px 2px 0;color:#555;
font-weight:600;vertical-align:top}table.facts td{padding:2px 0;word-break:break-all}
.gallery{display:flex;flex-wrap:wrap;gap:12px}
.face{background:#fff;border:3px solid #ccc;border-radius:6px;padding:6px;width:150px}
.face img.thumb{display:block;max-width:150px;max-height:150px;margin:0 auto 4px}
.face .noimg{height:80px;display:flex;align-items:center;justify-content:center;color:#888}
.face dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:0 6px;font-size:12px}
.face dt{color:#666}.face dd{margin:0;text-align:right}
.face .id{font-weight:700;font-size:15px}
svg.timeline{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
.sheet{display:flex;flex-wrap:wrap;gap:10px}
.frame{margin:0;background:#fff;border:1px solid #ddd;padding:4px}
.frame img{display:block;max-width:320px}.frame figcaption{font-size:12px;color:#555}
.note{color:#666;font-size:12px}
.passed,.published{color:#127a12;font-weight:700}.quarantined,.failed{color:#b00020;font-weight:700}
"""


def esc(text: object) -> str:
    """Any value as HTML text: a file name or an expectation name is input, never markup."""
    return html.escape(str(text), quote=True)


def jpeg_data_uri(jpeg: bytes) -> str:
    """A JPEG embedded in the page, so the page needs no folder beside it."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def relative_href(path: str) -> str:
    """A relative link, percent-encoded (a space or ``#`` in a file name must not break it)."""
    return quote(path.replace("\\", "/"), safe="/._-~")


def section(anchor: str, heading: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>\n{body}\n</section>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def facts_table(facts: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in facts)
    return f'<table class="facts">{rows}</table>'


def validation_html(validation: Validation | None) -> str:
    """The gate's verdict, and by name every expectation that failed (what a reviewer must look at)."""
    if validation is None:
        return note("No validation result: a JSON alone is only checked against the output contract.")
    status = esc(validation.status)
    body = f'<p><span class="{status}">{status}</span> {esc(validation.summary)}</p>'
    if validation.failed:
        items = "".join(f"<li>{esc(name)}</li>" for name in validation.failed)
        body += f'<ul class="failed-expectations">{items}</ul>'
    return body


def links_html(links: Iterable[tuple[str, str]]) -> str:
    items = [f'<li><a href="{esc(relative_href(href))}">{esc(label)}</a></li>' for label, href in links]
    return f"<ul>{''.join(items)}</ul>" if items else note("No files given to link to.")


def page(title: str, sections: Iterable[str], extra_css: str = "") -> str:
    """The whole document: inline CSS (``CSS``, then ``extra_css``), no script, no external resource."""
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}{extra_css}</style></head>\n<body>\n<h1>{esc(title)}</h1>\n{body}\n</body></html>\n"
    )
