"""Reading a report back the way a browser would: its elements by class, its images, its links."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser


class ReportPage(HTMLParser):
    """Counts elements by tag and class, collects image sources and link targets."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.classes: Counter[tuple[str, str]] = Counter()
        self.images: dict[str, list[str]] = {}
        self.links: list[str] = []
        self.tags: Counter[str] = Counter()
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags[tag] += 1
        for name in values.get("class", "").split():
            self.classes[(tag, name)] += 1
        if tag == "img":
            self.images.setdefault(values.get("class", ""), []).append(values.get("src", ""))
        if tag == "a":
            self.links.append(values.get("href", ""))

    def count(self, tag: str, cls: str) -> int:
        return self.classes[(tag, cls)]
