"""The HTML part of an email, rendered from the same text every email already has.

One renderer for every email (confirmation, access links, billing's), so the two parts can never
say different things. Every piece of text is escaped: subjects and bodies carry buyer-supplied
values (names, addresses), and links are only made of http(s) URLs found in the text.
"""

from __future__ import annotations

import re
from html import escape

_URL = re.compile(r"https?://[^\s<>\"']+")


def _line(text: str) -> str:
    """One line, escaped, with its http(s) URLs as links (the URL escaped in both places)."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        end = match.start() + len(url)
        out.append(escape(text[last:match.start()]))
        out.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def render_html(subject: str, body: str) -> str:
    """A small standalone HTML document: the subject as a heading, each paragraph of the text
    (blank-line separated) as <p>, its lines kept with <br>. Long links wrap rather than run
    off the side (access links are ~120 characters)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    rendered = "\n".join(
        "<p>" + "<br>\n".join(_line(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n"
        '<body style="font-family:sans-serif;line-height:1.5;overflow-wrap:anywhere">\n'
        f"<h1 style=\"font-size:1.2em\">{escape(subject)}</h1>\n{rendered}\n</body></html>\n"
    )
