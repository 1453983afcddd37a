"""The entity list and the timeline in pages: what a row of the entity list keeps
of a record, and the split of a long list into pages of :data:`PAGE_ROWS` rows.

A graph of a million triples has some 40,000 records and 15,000 events: one page
of each list weighed tens of megabytes, and keeping every record's description
for it took most of the report's memory. So the entity list keeps a small
:class:`Entry` per record (the description itself goes to its page and to the
search index as soon as it is made), and a list longer than :data:`PAGE_ROWS`
becomes pages ``entities.html``, ``entities-2.html``, … with links to the
previous and next page. The rows of every page are also written as scripts
(``entities/rows-K.js``, ``timeline/rows-K.js``), which ``filters.js`` loads when
a filter is set, so a filter keeps its meaning across pages, from disk and
offline. A list that fits one page is written as before, without scripts.

>>> [p.href for p in pages("entities", 2500, 1000)]
['entities.html', 'entities-2.html', 'entities-3.html']
>>> pages("timeline", 10, 1000)[0].count
1
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kg.views.model import Description, Ref

PAGE_ROWS = 1000  # rows on a page of the entity list or of the timeline

T = TypeVar("T")


@dataclass
class Entry:
    """What the entity list and the validation page keep of a record."""

    iri: str
    id: str | None
    label: str
    kind: str
    classes: list[Ref]
    qualifiers: list[str]

    @classmethod
    def of(cls, d: Description) -> Entry:
        return cls(d.iri, d.id, d.label, d.kind, d.classes, d.qualifiers)


@dataclass
class Page:
    """One page of a list: its number (1, 2, …) of ``count``, and where the
    previous and next ones are."""

    base: str
    number: int
    count: int
    first: int  # index of its first row in the whole list
    rows: int
    kind_pages: dict[str, str] = field(default_factory=dict)  # kind -> page where it starts

    @property
    def href(self) -> str:
        return page_href(self.base, self.number)

    @property
    def prev(self) -> str | None:
        return page_href(self.base, self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return page_href(self.base, self.number + 1) if self.number < self.count else None

    @property
    def all(self) -> list[tuple[int, str]]:
        return [(k, page_href(self.base, k)) for k in range(1, self.count + 1)]

    def kind_href(self, kind: str) -> str:
        """Where the list of a kind starts: ``#kind`` on this page, else on its page."""
        where = self.kind_pages.get(kind, self.href)
        return f"#{kind}" if where == self.href else f"{where}#{kind}"


def page_href(base: str, number: int) -> str:
    return f"{base}.html" if number == 1 else f"{base}-{number}.html"


def pages(base: str, total: int, size: int | None = None) -> list[Page]:
    """The pages of a list of ``total`` rows, ``size`` (:data:`PAGE_ROWS`) a page,
    one page at least."""
    size = size or PAGE_ROWS
    count = max(1, -(-total // size))
    return [Page(base, k + 1, count, k * size, min(size, total - k * size)) for k in range(count)]


def by_page(items: Sequence[T], page: Page) -> Sequence[T]:
    return items[page.first : page.first + page.rows]


def kinds_on(kinds: list[tuple[str, list[Entry]]], page: Page) -> list[tuple[str, list[Entry]]]:
    """The kinds' rows on one page of the list of every kind's rows in turn."""
    out, start = [], 0
    for kind, items in kinds:
        lo, hi = max(page.first, start), min(page.first + page.rows, start + len(items))
        if lo < hi:
            out.append((kind, items[lo - start : hi - start]))
        start += len(items)
    return out


def kind_pages(kinds: list[tuple[str, list[Entry]]], base: str) -> dict[str, str]:
    """The page each kind's rows start on."""
    out, start, size = {}, 0, PAGE_ROWS
    for kind, items in kinds:
        out[kind] = page_href(base, start // size + 1)
        start += len(items)
    return out


def rows_script(base: str, page: Page, rows: list[str]) -> tuple[str, bytes]:
    """``BASE/rows-K.js``: the rows of page K as HTML, for ``filters.js``."""
    body = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    init = "window.kgRows = window.kgRows || {};\n"
    script = f"{init}window.kgRows[{page.number}] = {body};\n"
    return f"{base}/rows-{page.number}.js", script.encode()


def paging_context(page: Page, base: str) -> dict[str, Any]:
    """What the templates need of a paged list (nothing for a single page)."""
    if page.count == 1:
        return {"paging": None}
    return {"paging": page, "rows_base": f"{base}/rows-"}
