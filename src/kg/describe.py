"""Everything the graph says about one thing, in plain language, with its sources.

:func:`describe` turns a node of the graph into a :class:`Description`: its
labels in every language, its facts as English sentences (built from the
phrase table ``templates/phrases.yaml``), the facts other records state about
it grouped under headings ("Roles held", "Took part in", "Statements made"),
each fact's qualifiers and notes, and a numbered list of the citations behind
them (source, locator, verbatim quote). ``kg describe`` prints it with
:func:`render_text`; ``kg report`` renders the same object as an entity page.

>>> from kg.builder import build_graph
>>> graph = build_graph()
>>> d = describe(GraphView(graph), resolve(graph, "Shinzo Abe"))
>>> d.label, d.kind
('Shinzo Abe', 'person')
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.errors import UsageError
from kg.namespaces import ID, KG, PREFIXES, expand
from kg.validate import compact

PHRASES_FILE = Path(__file__).parent / "templates" / "phrases.yaml"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANG_ORDER = ("en", "fr", "ja")

# (kind, class, singular, plural), tested in this order: the first class an
# entity belongs to (through rdfs:subClassOf) decides its kind.
KINDS: tuple[tuple[str, URIRef, str, str], ...] = (
    ("source", KG.SourceDocument, "Source", "Sources"),
    ("person", KG.Person, "Person", "People"),
    ("group", KG.Group, "Group", "Groups"),
    ("organisation", KG.Organization, "Organisation", "Organisations"),
    ("event", KG.Event, "Event", "Events"),
    ("document", KG.Document, "Document", "Documents"),
    ("statement", KG.Quotation, "Statement", "Statements"),
    ("interest", KG.InterestExpression, "Interest", "Interests"),
    ("theme", KG.SecurityTheme, "Theme", "Themes"),
    ("role", KG.RoleAssignment, "Role", "Roles"),
    ("post", KG.Post, "Post", "Posts"),
    ("place", KG.Place, "Place", "Places"),
)
KIND_TITLES = {k: (one, many) for k, _c, one, many in KINDS} | {"other": ("Other", "Others")}
# Display order of the kinds (index, lists).
KIND_ORDER = (
    "person",
    "organisation",
    "group",
    "event",
    "document",
    "statement",
    "interest",
    "theme",
    "role",
    "post",
    "place",
    "source",
    "other",
)

LABEL_PROPS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
# What a look-up by name matches against.
NAME_PROPS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, DCTERMS.title, KG.acronym)


class NotFound(UsageError):
    """Nothing in the graph has that IRI, id or name."""


class Ambiguous(UsageError):
    """A name that several things carry."""

    def __init__(self, thing: str, candidates: list[tuple[str, str, str]]) -> None:
        self.candidates = candidates
        lines = [f"{thing!r} matches {len(candidates)} things; give one of these ids:"]
        width = max(len(c[0]) for c in candidates)
        lines += [f"  {cid.ljust(width)}  {label} ({kind})" for cid, label, kind in candidates]
        super().__init__("\n".join(lines))


# --- the phrase table ----------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    order: int
    sentence: str | None = None
    inverse: str | None = None
    heading: str | None = None
    field: str | None = None
    hidden: bool = False


@cache
def phrases(path: Path = PHRASES_FILE) -> dict[URIRef, Phrase]:
    """The phrase table, by property IRI.

    >>> phrases()[KG.signatory].sentence
    '{o} signed {s}{when}'
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for n, (curie, spec) in enumerate(data["properties"].items()):
        out[URIRef(expand(curie))] = Phrase(order=n, **spec)
    return out


# --- small value objects ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Ref:
    """A link to a node: a record (with its id), an ontology term, or anything else."""

    label: str
    iri: str
    id: str | None = None  # record id: it has a page
    kind: str | None = None
    term: str | None = None  # local name of a kg: ontology term


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence: plain text, a link, or a literal value."""

    text: str
    ref: Ref | None = None
    lang: str | None = None
    value: bool = False  # a literal value from the graph (shown in a distinct style)


@dataclass(frozen=True)
class CitationView:
    n: int
    source: Ref
    quote: str | None = None
    quote_lang: str | None = None
    locator: str | None = None
    via: Ref | None = None
    reliability: str | None = None
    address: str | None = None


@dataclass
class Fact:
    """One fact, ready to show: a sentence or a field value, with its support."""

    segments: list[Segment]
    citations: list[int] = field(default_factory=list)
    qualifiers: list[str] = field(default_factory=list)
    notes: list[tuple[str, str | None]] = field(default_factory=list)
    field_name: str | None = None  # set for attribute-like facts (Details)
    record: Ref | None = None  # the record stating it, when the sentence does not name it
    prop: Ref | None = None
    date: str = ""  # the stating record's date, for ordering

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class Section:
    title: str
    facts: list[Fact]
    prop: Ref | None = None


@dataclass
class CorrectionView:
    field: str
    printed: str
    corrected: str
    citations: list[int]
    notes: list[tuple[str, str | None]]


@dataclass
class SupportView:
    """A citation of a source, seen from the source: what it supports."""

    record: Ref
    prop: Ref | None
    locator: str | None
    quote: str | None
    quote_lang: str | None
    via: Ref | None
    through: Ref | None  # the source cited, when this page is the compilation (via)


@dataclass
class Neighbour:
    ref: Ref
    relation: str
    outgoing: bool


@dataclass
class Description:
    iri: str
    id: str | None
    label: str
    kind: str
    classes: list[Ref]
    labels: dict[str, list[str]]
    alt_labels: dict[str, list[str]]
    qualifiers: list[str]
    label_facts: list[Fact]  # qualified labels: their qualifiers, notes and sources
    facts: list[Fact]
    details: list[Fact]
    related: list[Section]
    corrections: list[CorrectionView]
    supports: list[SupportView]
    citations: list[CitationView]
    neighbours: list[Neighbour]
    record_citations: list[int]

    @property
    def kind_title(self) -> str:
        return KIND_TITLES.get(self.kind, ("Other", "Others"))[0]

    def section(self, title: str) -> Section | None:
        """The related-facts section with this heading, if any."""
        return next((s for s in self.related if s.title == title), None)


# --- reading the graph -------------------------------------------------------------------


def _lang_key(lang: str | None) -> tuple[int, str]:
    lang = (lang or "").lower()
    if lang in LANG_ORDER:
        return (LANG_ORDER.index(lang), lang)
    return (len(LANG_ORDER) + (0 if lang else 1), lang)


def _cite_key(node: Node) -> tuple[str, int]:
    """Sort citation nodes by owner, then number (…/citation/2 before …/citation/10)."""
    s = str(node)
    head, _, tail = s.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (s, 0)


def record_id(node: Node) -> str | None:
    """The record id of a node minted from a record, else None.

    >>> record_id(ID["shinzo-abe"]), record_id(ID["shinzo-abe/citation/1"])
    ('shinzo-abe', None)
    """
    if isinstance(node, URIRef) and str(node).startswith(str(ID)):
        local = str(node)[len(str(ID)) :]
        if _ID_RE.match(local):
            return local
    return None


def date_phrase(value: Node, *, preposition: bool = True) -> str:
    """A date as it reads in a sentence: "on 2013-04-15", "in 2013-06", "in 2010".

    >>> date_phrase(Literal("2013-04-15")), date_phrase(Literal("2013-06"))
    ('on 2013-04-15', 'in 2013-06')
    """
    text = str(value)
    if not preposition:
        return text
    return ("on " if len(text) >= 10 else "in ") + text


class GraphView:
    """Read access to the data graph and the ontology, with the look-ups pages need."""

    def __init__(self, graph: Graph, ontology: Graph | None = None) -> None:
        from kg.builder import load_ontology

        self.g = graph
        self.ont = ontology if ontology is not None else load_ontology()
        self.phrases = phrases()

    @cached_property
    def statements(self) -> dict[tuple[Node, Node, Node], list[URIRef]]:
        """Reified facts, by the triple they are about."""
        out: dict[tuple[Node, Node, Node], list[URIRef]] = defaultdict(list)
        for st in self.g.subjects(RDF.type, RDF.Statement):
            s = self.g.value(st, RDF.subject)
            p = self.g.value(st, RDF.predicate)
            o = self.g.value(st, RDF.object)
            if s is not None and p is not None and o is not None and isinstance(st, URIRef):
                out[(s, p, o)].append(st)
        for v in out.values():
            v.sort()
        return dict(out)

    @cached_property
    def _superclasses(self) -> dict[Node, set[Node]]:
        direct: dict[Node, set[Node]] = defaultdict(set)
        for c, sup in self.ont.subject_objects(RDFS.subClassOf):
            direct[c].add(sup)
        closure: dict[Node, set[Node]] = {}

        def up(c: Node, seen: set[Node]) -> set[Node]:
            if c in closure:
                return closure[c]
            out = {c}
            for sup in direct.get(c, ()):
                if sup not in seen:
                    out |= up(sup, seen | {c})
            closure[c] = out
            return out

        for c in list(direct):
            up(c, set())
        return closure

    def superclasses(self, cls: Node) -> set[Node]:
        return self._superclasses.get(cls, {cls})

    @cached_property
    def records(self) -> list[URIRef]:
        """Every node minted for a record (it has a type and an id), sorted."""
        return sorted(
            {s for s in self.g.subjects(RDF.type, None) if isinstance(s, URIRef) and record_id(s)},
            key=str,
        )

    def types(self, node: Node) -> list[URIRef]:
        """The node's most specific classes."""
        types = {t for t in self.g.objects(node, RDF.type) if isinstance(t, URIRef)}
        specific = [t for t in types if not any(t in self.superclasses(o) for o in types - {t})]
        return sorted(specific, key=str)

    @cache  # noqa: B019 - one view per report; the cache lives as long as it
    def kind(self, node: Node) -> str:
        supers: set[Node] = set()
        for t in self.g.objects(node, RDF.type):
            supers |= self.superclasses(t)
        for kind, cls, _one, _many in KINDS:
            if cls in supers:
                return kind
        return "other"

    def texts(self, node: Node, props: Iterable[URIRef]) -> dict[str, list[str]]:
        """Literal values of ``props`` by language ("" for none), sorted."""
        out: dict[str, set[str]] = defaultdict(set)
        for p in props:
            for graph in (self.g, self.ont):
                for o in graph.objects(node, p):
                    if isinstance(o, Literal):
                        out[o.language or ""].add(str(o))
        return {k: sorted(out[k]) for k in sorted(out, key=_lang_key)}

    @cache  # noqa: B019
    def label(self, node: Node) -> str:
        """The node's label: English first, then French, Japanese, any other."""
        if isinstance(node, Literal):
            return str(node)
        for prop in LABEL_PROPS:
            by_lang = self.texts(node, [prop])
            if by_lang:
                return next(iter(by_lang.values()))[0]
        key = self.g.value(node, KG.sourceKey)  # an untitled source: its key and publisher
        if key is not None:
            publisher = self.g.value(node, KG.publisherName)
            when = self.g.value(node, KG.dateAsShown)
            return " · ".join(str(x) for x in (key, publisher, when) if x is not None)
        return compact(node)

    @cache  # noqa: B019
    def ref(self, node: Node) -> Ref:
        rid = record_id(node)
        term = None
        if isinstance(node, URIRef) and str(node).startswith(str(KG)):
            term = str(node)[len(str(KG)) :] or None
        return Ref(
            label=self.label(node),
            iri=str(node),
            id=rid if rid is not None and (node, RDF.type, None) in self.g else None,
            kind=self.kind(node) if rid is not None else None,
            term=term,
        )

    def prop_ref(self, prop: Node) -> Ref:
        ref = self.ref(prop)
        if ref.label == compact(prop) and isinstance(prop, URIRef):
            local = re.split(r"[#/]", str(prop))[-1]
            ph = self.phrases.get(prop)
            ref = Ref((ph.field if ph and ph.field else local), ref.iri, ref.id, ref.kind, ref.term)
        return ref

    def values(self, node: Node, prop: URIRef) -> list[Node]:
        return sorted(self.g.objects(node, prop), key=lambda o: (self.label(o), str(o)))

    def citations_of(self, node: Node) -> list[URIRef]:
        return sorted(
            (c for c in self.g.objects(node, KG.citation) if isinstance(c, URIRef)), key=_cite_key
        )

    def qualifier_labels(self, node: Node) -> list[str]:
        return sorted(self.label(q) for q in self.g.objects(node, KG.qualifier))

    def notes(self, node: Node) -> list[tuple[str, str | None]]:
        out = [
            (str(n), n.language)
            for n in self.g.objects(node, SKOS.editorialNote)
            if isinstance(n, Literal)
        ]
        return sorted(out, key=lambda t: (_lang_key(t[1]), t[0]))


# --- finding the thing asked about ------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def resolve(graph: Graph, thing: str) -> URIRef:
    """The node meant by an IRI, a prefixed name, a record id or a name in any language.

    Names are matched case-insensitively against labels, alternative labels,
    titles and acronyms. Several matches raise :class:`Ambiguous`; none,
    :class:`NotFound` (both exit code 2).

    >>> from kg.builder import build_graph
    >>> g = build_graph()
    >>> [str(resolve(g, t))[-10:] for t in ("shinzo-abe", "id:shinzo-abe", "SHINZO ABE")]
    ['shinzo-abe', 'shinzo-abe', 'shinzo-abe']
    """
    raw = thing.strip()
    if not raw:
        raise NotFound("say what to describe: an IRI, a record id or a name")

    def known(node: URIRef) -> bool:
        return (node, None, None) in graph

    prefix, sep, local = raw.partition(":")
    if "://" in raw or (sep and prefix in PREFIXES and not local.startswith("//")):
        node = URIRef(expand(raw) if "://" not in raw else raw.strip("<>"))
        if known(node):
            return node
        raise NotFound(f"nothing in the graph has the IRI {compact(node)}")
    if _ID_RE.match(raw) and known(ID[raw]):
        return ID[raw]
    wanted = _norm(raw)
    exact: set[URIRef] = set()
    partial: set[URIRef] = set()
    for prop in NAME_PROPS:
        for s, o in graph.subject_objects(prop):
            if not isinstance(s, URIRef) or not isinstance(o, Literal):
                continue
            name = _norm(str(o))
            if name == wanted:
                exact.add(s)
            elif wanted in name:
                partial.add(s)
    view = GraphView(graph)
    if len(exact) == 1:
        return next(iter(exact))
    found = exact or partial
    if not found:
        raise NotFound(
            f"nothing in the graph is called {raw!r} (tried IRIs, record ids, labels, titles "
            "and acronyms in every language); `kg query timeline` or `kg report` list what "
            "there is"
        )
    candidates = sorted(
        (
            compact(n) if record_id(n) is None else str(record_id(n)),
            view.label(n),
            KIND_TITLES.get(view.kind(n), ("Other", ""))[0],
        )
        for n in found
    )
    if not exact:
        raise NotFound(
            f"nothing is called exactly {raw!r}; did you mean one of these?\n"
            + "\n".join(f"  {c[0]}  {c[1]} ({c[2]})" for c in candidates[:20])
            + (f"\n  … and {len(candidates) - 20} more" if len(candidates) > 20 else "")
        )
    raise Ambiguous(raw, candidates)


# --- sentences -------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\{([^{}]+)\}|\[|\]|[^{}\[\]]+")


class _Builder:
    """Collects the facts and citations of one description."""

    def __init__(self, view: GraphView, node: URIRef) -> None:
        self.view = view
        self.node = node
        self.citations: list[CitationView] = []
        self._cite_index: dict[tuple[str, str, str, str], int] = {}

    # citations

    def cite(self, nodes: Iterable[URIRef]) -> list[int]:
        out = []
        for c in nodes:
            n = self.cite_one(c)
            if n is not None and n not in out:
                out.append(n)
        return out

    def cite_one(self, c: URIRef) -> int | None:
        g = self.view.g
        src = g.value(c, KG.citedSource)
        if src is None:
            return None
        quote = g.value(c, KG.quote)
        locator = g.value(c, KG.locator)
        via = g.value(c, KG.via)
        key = (str(src), str(via or ""), str(locator or ""), str(quote or ""))
        if key in self._cite_index:
            return self._cite_index[key]
        n = len(self.citations) + 1
        self._cite_index[key] = n
        rel = g.value(src, KG.reliability)
        address = g.value(src, KG.address)
        self.citations.append(
            CitationView(
                n=n,
                source=self.view.ref(src),
                quote=str(quote) if quote is not None else None,
                quote_lang=quote.language if isinstance(quote, Literal) else None,
                locator=str(locator) if locator is not None else None,
                via=self.view.ref(via) if via is not None else None,
                reliability=self.view.label(rel) if rel is not None else None,
                address=str(address) if address is not None else None,
            )
        )
        return n

    # support of one triple

    def support(
        self, s: Node, p: Node, o: Node
    ) -> tuple[list[int], list[str], list[tuple[str, str | None]]]:
        """Citations, qualifiers and notes behind the triple (s, p, o)."""
        view = self.view
        stmts = view.statements.get((s, p, o), [])
        cites: list[URIRef] = []
        quals: list[str] = []
        notes: list[tuple[str, str | None]] = []
        for st in stmts:
            cites += view.citations_of(st)
            quals += view.qualifier_labels(st)
            notes += view.notes(st)
        if not cites:
            cites = view.citations_of(s)
        if s != self.node:
            quals += [q for q in view.qualifier_labels(s) if q not in quals]
        return self.cite(cites), sorted(set(quals)), notes

    # the subject's own date, for {when}

    def when(self, s: Node) -> tuple[list[Segment], list[int], list[str]]:
        g = self.view.g
        cites: list[int] = []
        quals: list[str] = []

        def use(p: URIRef, o: Node) -> None:
            c, q, _n = self.support(s, p, o)
            cites.extend(x for x in c if x not in cites)
            quals.extend(f"date {x}" for x in q if f"date {x}" not in quals)

        for single in (KG.signedOn, KG.date):
            v = g.value(s, single)
            if v is not None:
                use(single, v)
                return [Segment(" " + date_phrase(v), value=True)], cites, quals
        start, end = g.value(s, KG.startDate), g.value(s, KG.endDate)
        if start is not None:
            use(KG.startDate, start)
            if end is not None and str(end) != str(start):
                use(KG.endDate, end)
                return [Segment(f" from {start} to {end}", value=True)], cites, quals
            return [Segment(" " + date_phrase(start), value=True)], cites, quals
        attested = sorted(str(v) for v in g.objects(s, KG.attestedOn))
        if attested:
            for v in g.objects(s, KG.attestedOn):
                use(KG.attestedOn, v)
            listed = (
                attested[0]
                if len(attested) == 1
                else ", ".join(attested[:-1]) + " and " + attested[-1]
            )
            return (
                [Segment(f" (attested on {listed})", value=True)],
                cites,
                quals,
            )
        return [], cites, quals

    def value_segments(self, value: Node) -> list[Segment]:
        if isinstance(value, Literal):
            return [Segment(str(value), lang=value.language, value=True)]
        if value == self.node:
            return self.entity_segments(value)
        ref = self.view.ref(value)
        return [Segment(ref.label, ref=ref if (ref.id or ref.term) else None)]

    def entity_segments(self, node: Node) -> list[Segment]:
        ref = self.view.ref(node)
        if node == self.node:
            return [Segment(ref.label)]
        return [Segment(ref.label, ref=ref if (ref.id or ref.term) else None)]

    def sentence(
        self, template: str, s: Node, p: URIRef, o: Node
    ) -> tuple[list[Segment], list[int], list[str], bool]:
        """Fill a template; returns segments, extra citations, extra qualifiers and
        whether the subject was named."""
        g = self.view.g
        out: list[Segment] = []
        extra_cites: list[int] = []
        extra_quals: list[str] = []
        names_subject = False
        optional: list[Segment] | None = None
        optional_ok = True
        for m in _TOKEN_RE.finditer(template):
            tok = m.group(0)
            if tok == "[":
                optional, optional_ok = [], True
                continue
            if tok == "]":
                if optional is not None and optional_ok:
                    out += optional
                optional = None
                continue
            target = out if optional is None else optional
            name = m.group(1)
            if name is None:
                target.append(Segment(tok))
                continue
            segs: list[Segment] = []
            if name == "s":
                segs = self.entity_segments(s)
                names_subject = True
            elif name == "o":
                segs = self.value_segments(o)
            elif name == "o:when":
                segs = [Segment(date_phrase(o), value=True)]
            elif name == "when":
                if s == self.node:
                    continue  # the page lists its subject's own dates
                segs, c, q = self.when(s)
                extra_cites += c
                extra_quals += q
            elif name.startswith("s."):
                prop = URIRef(expand(name[2:]))
                vals = self.view.values(s, prop)
                if isinstance(vals[0] if vals else None, Literal):
                    vals = _prefer_lang(vals)
                for i, v in enumerate(vals):
                    if i:
                        segs.append(Segment(" and "))
                    segs += self.value_segments(v)
                    c, q, _n = self.support(s, prop, v) if g.value(s, prop) else ([], [], [])
                    extra_cites += c
                    extra_quals += [x for x in q if x not in extra_quals]
                if any(v == self.node for v in vals):
                    names_subject = True
            if not segs and optional is not None:
                optional_ok = False
            target += segs
        if out and out[0].ref is None and not out[0].value and out[0].text:
            out[0] = Segment(out[0].text[0].upper() + out[0].text[1:], lang=out[0].lang)
        return _merge(out), extra_cites, extra_quals, names_subject

    def fact_support(self, s: Node, p: URIRef, o: Node) -> Fact:
        """Just the value and its support (for qualified labels)."""
        cites, quals, notes = self.support(s, p, o)
        return Fact(self.value_segments(o), cites, quals, notes, prop=self.view.prop_ref(p))

    def fact(self, s: Node, p: URIRef, o: Node, *, inverse: bool) -> Fact | None:
        view = self.view
        ph = view.phrases.get(p)
        if ph is not None and ph.hidden:
            return None
        cites, quals, notes = self.support(s, p, o)
        if ph is not None and ph.field and not inverse:
            return Fact(
                segments=self.value_segments(o),
                citations=cites,
                qualifiers=quals,
                notes=notes,
                field_name=ph.field,
                prop=view.prop_ref(p),
            )
        template = None
        if ph is not None:
            template = (ph.inverse or ph.sentence) if inverse else ph.sentence
        if template is None:
            template = "{s} — " + view.label(p) + " — {o}"
        segs, c2, q2, names_subject = self.sentence(template, s, p, o)
        cites += [c for c in c2 if c not in cites]
        quals = sorted(set(quals) | set(q2))
        return Fact(
            segments=segs,
            citations=cites,
            qualifiers=quals,
            notes=notes,
            record=None if names_subject or s == self.node else view.ref(s),
            prop=view.prop_ref(p),
            date=_date_of(view.g, s),
        )


def _date_of(g: Graph, s: Node) -> str:
    for prop in (KG.signedOn, KG.date, KG.startDate, KG.attestedOn, KG.datePublished):
        values = sorted(str(v) for v in g.objects(s, prop))
        if values:
            return values[0]
    return ""


def _prefer_lang(values: list[Node]) -> list[Node]:
    """Of language-tagged texts, keep one language (English first)."""
    lits = [v for v in values if isinstance(v, Literal)]
    if not lits:
        return values
    best = min((_lang_key(v.language) for v in lits), default=(0, ""))
    return [v for v in lits if _lang_key(v.language) == best]


def _label_facts(b: _Builder, node: URIRef) -> list[Fact]:
    """Qualified labels, those with the same support merged into one fact."""
    merged: dict[tuple[Any, ...], Fact] = {}
    for o in _reified_objects(b.view, node, RDFS.label):
        f = b.fact_support(node, RDFS.label, o)
        key = (tuple(f.citations), tuple(f.qualifiers), tuple(f.notes))
        if key in merged:
            merged[key].segments += [Segment(" | "), *f.segments]
        else:
            merged[key] = f
    return list(merged.values())


def _reified_objects(view: GraphView, node: Node, prop: URIRef) -> list[Node]:
    objs = [o for (s, p, o) in view.statements if s == node and p == prop]
    return sorted(objs, key=lambda o: (_lang_key(getattr(o, "language", None)), str(o)))


def _merge(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in segs:
        if out and s.ref is None and not s.value and out[-1].ref is None and not out[-1].value:
            out[-1] = Segment(out[-1].text + s.text)
        elif s.text:
            out.append(s)
    return out


def _order(view: GraphView, p: Node) -> tuple[int, str]:
    ph = view.phrases.get(p)  # type: ignore[call-overload]
    return (ph.order if ph is not None else 10_000, str(p))


def _is_record_link(view: GraphView, node: Node) -> bool:
    return record_id(node) is not None and (node, RDF.type, None) in view.g


SKIP_INCOMING = {
    PROV.wasDerivedFrom,
    KG.citedSource,
    KG.via,
    KG.corrects,
    RDF.subject,
    RDF.object,
}


def describe(view: GraphView, node: URIRef) -> Description:
    """Gather what the graph says about ``node`` (see the module docstring)."""
    g = view.g
    b = _Builder(view, node)
    record_cites = b.cite(view.citations_of(node))

    label_facts = _label_facts(b, node)
    facts: list[Fact] = []
    details: list[Fact] = []
    for p in sorted({p for p in g.predicates(node, None)}, key=lambda p: _order(view, p)):
        if not isinstance(p, URIRef):
            continue
        objects = view.values(node, p)
        literal = [o for o in objects if isinstance(o, Literal)]
        objects = sorted(literal, key=lambda o: (_lang_key(o.language), str(o))) + [
            o for o in objects if not isinstance(o, Literal)
        ]
        for o in objects:
            f = b.fact(node, p, o, inverse=False)
            if f is None:
                continue
            (details if f.field_name else facts).append(f)

    grouped: dict[URIRef, list[Fact]] = defaultdict(list)
    for s, p in sorted(
        g.subject_predicates(node), key=lambda sp: (_order(view, sp[1]), str(sp[0]))
    ):
        if p in SKIP_INCOMING or not isinstance(p, URIRef) or not _is_record_link(view, s):
            continue
        if s == node:
            continue
        f = b.fact(s, p, node, inverse=True)
        if f is not None:
            grouped[p].append(f)
    related = []
    for p in sorted(grouped, key=lambda p: _order(view, p)):
        ph = view.phrases.get(p)
        title = ph.heading if ph is not None and ph.heading else f"Is {view.label(p)} of"
        items = sorted(
            grouped[p], key=lambda f: (f.date or "~", f.text.casefold(), f.record or Ref("", ""))
        )
        related.append(Section(title, items, view.prop_ref(p)))

    corrections = []
    for c in sorted(g.subjects(KG.corrects, node), key=_cite_key):
        prop = g.value(c, KG.onProperty)
        src = g.value(c, KG.citedSource)
        cites: list[int] = []
        if src is not None:
            # Quote the record's own citations of that source: they show the misprint.
            cites = b.cite(x for x in view.citations_of(node) if g.value(x, KG.citedSource) == src)
        corrections.append(
            CorrectionView(
                field=view.prop_ref(prop).label if prop is not None else "",
                printed=str(g.value(c, KG.asPrinted) or ""),
                corrected=str(g.value(c, KG.correctedValue) or ""),
                citations=cites,
                notes=view.notes(c),
            )
        )

    supports = _supports(view, node)
    # Number the citations in the order a reader meets them.
    order: dict[int, int] = {}
    for group in (
        [record_cites],
        [f.citations for f in label_facts],
        [f.citations for f in facts],
        [f.citations for f in details],
        [f.citations for sec in related for f in sec.facts],
        [c.citations for c in corrections],
    ):
        for numbers in group:
            for n in numbers:
                order.setdefault(n, len(order) + 1)
    for cv in b.citations:
        order.setdefault(cv.n, len(order) + 1)

    def renumber(numbers: list[int]) -> list[int]:
        return [order[n] for n in numbers]

    for f in [*label_facts, *facts, *details, *(f for sec in related for f in sec.facts)]:
        f.citations = renumber(f.citations)
    for corr in corrections:
        corr.citations = renumber(corr.citations)
    citations = sorted(
        (
            CitationView(
                order[c.n],
                c.source,
                c.quote,
                c.quote_lang,
                c.locator,
                c.via,
                c.reliability,
                c.address,
            )
            for c in b.citations
        ),
        key=lambda c: c.n,
    )
    return Description(
        iri=str(node),
        id=record_id(node),
        label=view.label(node),
        kind=view.kind(node),
        classes=[view.ref(t) for t in view.types(node)],
        labels=view.texts(node, [RDFS.label]),
        alt_labels=view.texts(node, [SKOS.altLabel]),
        qualifiers=view.qualifier_labels(node),
        label_facts=label_facts,
        facts=facts,
        details=details,
        related=related,
        corrections=corrections,
        supports=supports,
        citations=citations,
        neighbours=neighbours(view, node),
        record_citations=renumber(record_cites),
    )


def _owner(view: GraphView, citation: Node) -> tuple[Node | None, Ref | None]:
    """The record a citation node belongs to, and the property of its fact, if any."""
    g = view.g
    for owner in g.subjects(KG.citation, citation):
        if (owner, RDF.type, RDF.Statement) in g:
            subj = g.value(owner, RDF.subject)
            prop = g.value(owner, RDF.predicate)
            return subj, view.prop_ref(prop) if prop is not None else None
        return owner, None
    return None, None


def _supports(view: GraphView, node: URIRef) -> list[SupportView]:
    g = view.g
    out = []
    for prop, through in ((KG.citedSource, False), (KG.via, True)):
        for c in g.subjects(prop, node):
            if (c, RDF.type, KG.Citation) not in g:
                continue
            owner, fact_prop = _owner(view, c)
            if owner is None:
                continue
            quote = g.value(c, KG.quote)
            via = g.value(c, KG.via)
            src = g.value(c, KG.citedSource)
            out.append(
                SupportView(
                    record=view.ref(owner),
                    prop=fact_prop,
                    locator=str(g.value(c, KG.locator) or "") or None,
                    quote=str(quote) if quote is not None else None,
                    quote_lang=quote.language if isinstance(quote, Literal) else None,
                    via=view.ref(via) if via is not None and not through else None,
                    through=view.ref(src) if through and src is not None else None,
                )
            )
    out.sort(
        key=lambda s: (
            s.record.label.casefold(),
            s.record.iri,
            s.prop.label if s.prop else "",
            s.locator or "",
            s.quote or "",
            s.through.iri if s.through else "",
        )
    )
    return out


def neighbours(view: GraphView, node: URIRef) -> list[Neighbour]:
    """The records linked to ``node`` in either direction (sources left out)."""
    g = view.g
    seen: dict[tuple[str, str, bool], Neighbour] = {}
    for p, o in g.predicate_objects(node):
        if p in SKIP_INCOMING or p == KG.citation or o == node or not _is_record_link(view, o):
            continue
        n = Neighbour(view.ref(o), view.label(p), True)
        seen.setdefault((n.ref.iri, n.relation, True), n)
    for s, p in g.subject_predicates(node):
        if p in SKIP_INCOMING or s == node or not _is_record_link(view, s):
            continue
        ph = view.phrases.get(p) if isinstance(p, URIRef) else None
        relation = ph.heading if ph and ph.heading else f"{view.label(p)} (of)"
        n = Neighbour(view.ref(s), relation[0].lower() + relation[1:], False)
        seen.setdefault((n.ref.iri, n.relation, False), n)
    return sorted(
        seen.values(),
        key=lambda n: (
            KIND_ORDER.index(n.ref.kind or "other"),
            n.ref.label.casefold(),
            n.ref.iri,
            n.relation,
            n.outgoing,
        ),
    )


# --- the terminal ----------------------------------------------------------------------------


def _lang_tag(lang: str | None) -> str:
    return f" @{lang}" if lang else ""


def _fact_line(f: Fact) -> str:
    text = "".join(s.text for s in f.segments)
    if f.field_name:
        lang = next((s.lang for s in f.segments if s.lang), None)
        text = f"{f.field_name}{_lang_tag(lang)}: {text}"
    if f.qualifiers:
        text += " (" + ", ".join(f.qualifiers) + ")"
    if f.citations:
        text += "  " + "".join(f"[{n}]" for n in f.citations)
    return text


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def render_text(d: Description, width: int = 100) -> str:
    """The description as plain text for a terminal (the same facts as the entity page)."""
    lines: list[str] = []
    classes = ", ".join(c.label for c in d.classes) or d.kind_title
    lines.append(f"{d.label}  ({classes})")
    lines.append(f"{compact(URIRef(d.iri))}  <{d.iri}>")
    for tag, values in d.labels.items():
        lines += _wrap(f"label{_lang_tag(tag)}: {' | '.join(values)}", "  ", width)
    for tag, values in d.alt_labels.items():
        lines += _wrap(f"also known as{_lang_tag(tag)}: {' | '.join(values)}", "  ", width)
    if d.qualifiers:
        lines.append(f"  qualified as a whole: {', '.join(d.qualifiers)}")
    for f in d.label_facts:
        labels = " | ".join(f"{g.text}{_lang_tag(g.lang)}" for g in f.segments if g.value)
        lines += _wrap(
            f"labels {labels}:{_fact_line(Fact([], f.citations, f.qualifiers))}", "  ", width
        )
        for text, note_lang in f.notes:
            lines.extend(_wrap(f"note{_lang_tag(note_lang)}: {text}", "      ", width))
    if d.record_citations:
        lines.append("  sources of the record: " + "".join(f"[{n}]" for n in d.record_citations))

    def block(title: str, facts: list[Fact]) -> None:
        if not facts:
            return
        lines.append("")
        lines.append(title)
        for f in facts:
            lines.extend(_wrap("- " + _fact_line(f), "  ", width))
            if f.record is not None:
                lines.append(f"      (record: {f.record.id or f.record.iri})")
            for text, lang in f.notes:
                lines.extend(_wrap(f"note{_lang_tag(lang)}: {text}", "      ", width))

    block("Facts", d.facts)
    block("Details", d.details)
    for sec in d.related:
        block(sec.title, sec.facts)
    if d.corrections:
        lines.append("")
        lines.append("Corrections")
        for c in d.corrections:
            cites = "".join(f"[{n}]" for n in c.citations)
            lines += _wrap(
                f"- {c.field}: the source prints “{c.printed}”; corrected to “{c.corrected}”"
                + (f"  {cites}" if cites else ""),
                "  ",
                width,
            )
            for text, lang in c.notes:
                lines.extend(_wrap(f"note{_lang_tag(lang)}: {text}", "      ", width))
    if d.supports:
        lines.append("")
        lines.append(f"What this source supports ({len(d.supports)} citations)")
        for s in d.supports:
            what = s.record.label + (f" — {s.prop.label}" if s.prop else "")
            where = f", {s.locator}" if s.locator else ""
            through = f" (citing {s.through.id or s.through.label})" if s.through else ""
            lines += _wrap(f"- {what}{where}{through}", "  ", width)
            if s.quote:
                lines += _wrap(f"“{s.quote}”", "      ", width)
    if d.citations:
        lines.append("")
        lines.append("Sources")
        shown: set[str] = set()
        for cv in d.citations:
            head = f"[{cv.n}] {cv.source.id or cv.source.iri}"
            if cv.via is not None:
                head += f", via {cv.via.id or cv.via.iri}"
            if cv.locator:
                head += f", {cv.locator}"
            if cv.reliability:
                head += f" ({cv.reliability})"
            lines += _wrap(head, "  ", width)
            if cv.quote:
                lines += _wrap(f"“{cv.quote}”{_lang_tag(cv.quote_lang)}", "      ", width)
            if cv.address and cv.source.iri not in shown:
                lines.append(f"      {cv.address}")
            shown.add(cv.source.iri)
    return "\n".join(lines) + "\n"


def describe_thing(graph: Graph, thing: str, ontology: Graph | None = None) -> Description:
    """Resolve ``thing`` (IRI, prefixed name, record id or name) and describe it."""
    view = GraphView(graph, ontology)
    return describe(view, resolve(graph, thing))


__all__ = [
    "Ambiguous",
    "Description",
    "GraphView",
    "NotFound",
    "describe",
    "describe_thing",
    "render_text",
    "resolve",
]
