"""Read access to a data graph and the ontology, with the look-ups pages need;
and finding the thing a user asks about by IRI, id or name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, cached_property

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.builder.ontology import load_ontology
from kg.errors import UsageError
from kg.pipeline.query import near_record_ids
from kg.reason.rules import strict_closure
from kg.records.display import Display, Phrase, load_display
from kg.terms.checks import is_record_id
from kg.terms.iris import record_id
from kg.terms.namespaces import ID, KG, PREFIXES, compact, expand
from kg.views.model import Ref

LANG_ORDER = ("en", "fr", "ja")


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


# --- reading the graph -------------------------------------------------------------------


def lang_key(lang: str | None) -> tuple[int, str]:
    lang = (lang or "").lower()
    if lang in LANG_ORDER:
        return (LANG_ORDER.index(lang), lang)
    return (len(LANG_ORDER) + (0 if lang else 1), lang)


def cite_key(node: Node) -> tuple[str, int]:
    """Sort citation nodes by owner, then number (…/citation/2 before …/citation/10)."""
    s = str(node)
    head, _, tail = s.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (s, 0)


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

    def __init__(
        self, graph: Graph, ontology: Graph | None = None, display: Display | None = None
    ) -> None:
        self.g = graph
        self.ont = ontology if ontology is not None else load_ontology()
        self.display = display if display is not None else load_display()
        self.phrases: dict[URIRef, Phrase] = {
            URIRef(iri): phrase for iri, phrase in self.display.phrases.items()
        }
        self._kind_classes = [
            (k.name, URIRef(k.cls)) for k in self.display.kinds if k.cls is not None
        ]

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

    def statements_about(self, subject: Node) -> Mapping[tuple[Node, Node, Node], list[URIRef]]:
        """The reified facts whose subject is ``subject``, by triple."""
        return self._statements_by_subject.get(subject, {})

    @cached_property
    def _statements_by_subject(self) -> dict[Node, dict[tuple[Node, Node, Node], list[URIRef]]]:
        out: dict[Node, dict[tuple[Node, Node, Node], list[URIRef]]] = defaultdict(dict)
        for key, sts in self.statements.items():
            out[key[0]][key] = sts
        return dict(out)

    def part_readings(self, s: Node, p: Node, o: Node) -> list[tuple[Literal, list[URIRef]]]:
        """The readings of a source that gives only some words of the text ``o``
        (a citation's ``part``): reified with those words as their object, they
        are no fact of their own, yet belong beside the whole text's sources."""
        if not isinstance(o, Literal):
            return []
        out = [
            (o2, sts)
            for (_s, p2, o2), sts in self.statements_about(s).items()
            if p2 == p
            and isinstance(o2, Literal)
            and o2 != o
            and o2.language == o.language
            and str(o2) in str(o)
            and (s, p, o2) not in self.g
        ]
        return sorted(out, key=lambda r: str(r[0]))

    @cached_property
    def read_as(self) -> dict[URIRef, URIRef]:
        """Each derived inverse property -> the property records state, whose
        triples it mirrors. Of a pair ``p owl:inverseOf q`` in the ontology,
        records state ``p`` (tests/test_ontology.py keeps the ontology so), so
        a triple (s, q, o), inferred or not, is the fact (o, p, s): pages read
        it in ``p``'s phrases, with the support of (o, p, s), once.

        >>> from kg.terms.namespaces import KG
        >>> GraphView(Graph()).read_as[KG.placeOf] == KG.place
        True
        """
        out: dict[URIRef, URIRef] = {}
        for p, q in sorted(self.ont.subject_objects(OWL.inverseOf)):
            # p inverseOf q and q inverseOf p both declared: the first in IRI order states.
            if isinstance(p, URIRef) and isinstance(q, URIRef) and p != q and p not in out:
                out.setdefault(q, p)
        return out

    @cached_property
    def _super_properties(self) -> dict[Node, frozenset[Node]]:
        """Each property -> its super-properties (any number of steps, itself left out)."""
        direct: dict[Node, set[Node]] = defaultdict(set)
        for p, sup in self.ont.subject_objects(RDFS.subPropertyOf):
            direct[p].add(sup)
        return strict_closure(direct)

    def links(self, node: Node) -> tuple[set[tuple[URIRef, Node]], set[tuple[Node, URIRef]]]:
        """The facts linking ``node`` as stated: (p, o) for each (node, p, o) and
        (s, p) for each (s, p, node), each fact once whether or not the graph
        holds what a reasoner infers from it: a derived inverse's triple is
        turned into the stated one it mirrors (:attr:`read_as`), and a
        super-property's triple without sources of its own that a more
        specific link between the same two nodes implies is left out unless
        the phrase table words that property (one it does not, such as
        sem:hasPlace above kg:place, aligns kg to a reused vocabulary and is
        not something records state)."""
        read_as = self.read_as
        out: set[tuple[URIRef, Node]] = set()
        into: set[tuple[Node, URIRef]] = set()
        for p, o in self.g.predicate_objects(node):
            if not isinstance(p, URIRef):
                continue
            if p in read_as:
                into.add((o, read_as[p]))
            else:
                out.add((p, o))
        for s, p in self.g.subject_predicates(node):
            if not isinstance(p, URIRef):
                continue
            if p in read_as:
                out.add((read_as[p], s))
            else:
                into.add((s, p))
        return self._unimplied(out, into)

    @cached_property
    def _unstated_supers(self) -> tuple[dict[Node, set[Node]], dict[Node, set[Node]]]:
        """Each property -> its super-properties the phrase table does not word;
        and each stated property -> those of its derived inverse."""
        own = {
            p: {sup for sup in sups if sup not in self.phrases}
            for p, sups in self._super_properties.items()
        }
        of_inverse: dict[Node, set[Node]] = {p: own.get(q, set()) for q, p in self.read_as.items()}
        return own, of_inverse

    def _unimplied(
        self, out: set[tuple[URIRef, Node]], into: set[tuple[Node, URIRef]]
    ) -> tuple[set[tuple[URIRef, Node]], set[tuple[Node, URIRef]]]:
        """``out`` and ``into`` without the triples a link among them implies
        through super-properties (of its property, or of its derived inverse)."""
        own, of_inverse = self._unstated_supers
        implied_out = {(sup, o) for p, o in out for sup in own.get(p, ())}
        implied_out |= {(sup, s) for s, p in into for sup in of_inverse.get(p, ())}
        implied_in = {(s, sup) for s, p in into for sup in own.get(p, ())}
        implied_in |= {(o, sup) for p, o in out for sup in of_inverse.get(p, ())}
        return out - implied_out, into - implied_in

    @cached_property
    def _superclasses(self) -> dict[Node, frozenset[Node]]:
        """Each class -> itself and its superclasses (any number of steps)."""
        direct: dict[Node, set[Node]] = defaultdict(set)
        for c, sup in self.ont.subject_objects(RDFS.subClassOf):
            direct[c].add(sup)
        return {c: sups | {c} for c, sups in strict_closure(direct).items()}

    def superclasses(self, cls: Node) -> frozenset[Node]:
        return self._superclasses.get(cls, frozenset({cls}))

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

    @cache  # noqa: B019
    def classes(self, node: Node) -> frozenset[Node]:
        """Every class of ``node``, its types' superclasses included."""
        supers: set[Node] = set()
        for t in self.g.objects(node, RDF.type):
            supers |= self.superclasses(t)
        return frozenset(supers)

    def is_a(self, node: Node, cls: URIRef) -> bool:
        return cls in self.classes(node)

    @cache  # noqa: B019 - one view per report; the cache lives as long as it
    def kind(self, node: Node) -> str:
        """The first kind (record-display.yaml, in the order listed) whose class
        ``node`` belongs to; else the `other` kind."""
        supers = self.classes(node)
        for kind, cls in self._kind_classes:
            if cls in supers:
                return kind
        return self.display.other.name

    def texts(self, node: Node, props: Iterable[URIRef]) -> dict[str, list[str]]:
        """Literal values of ``props`` by language ("" for none), sorted."""
        out: dict[str, set[str]] = defaultdict(set)
        for p in props:
            for graph in (self.g, self.ont):
                for o in graph.objects(node, p):
                    if isinstance(o, Literal):
                        out[o.language or ""].add(str(o))
        return {k: sorted(out[k]) for k in sorted(out, key=lang_key)}

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
            (c for c in self.g.objects(node, KG.citation) if isinstance(c, URIRef)), key=cite_key
        )

    def qualifier_labels(self, node: Node) -> list[str]:
        return sorted(self.label(q) for q in self.g.objects(node, KG.qualifier))

    def notes(self, node: Node) -> list[tuple[str, str | None]]:
        out = [
            (str(n), n.language)
            for n in self.g.objects(node, SKOS.editorialNote)
            if isinstance(n, Literal)
        ]
        return sorted(out, key=lambda t: (lang_key(t[1]), t[0]))


# --- finding the thing asked about ------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def resolve(graph: Graph, thing: str, *, display: Display | None = None) -> URIRef:
    """The node meant by an IRI, a prefixed name, a record id or a name in any language.

    Names are matched case-insensitively against labels, alternative labels,
    titles and acronyms. Several matches raise :class:`Ambiguous`; none,
    :class:`NotFound` (both exit code 2). Candidates are listed with their
    kind's title (from ``display``, the bundled record-display file by default).

    >>> from kg.builder.graph import build_graph
    >>> g = build_graph()
    >>> [str(resolve(g, t))[-10:] for t in ("shinzo-abe", "id:shinzo-abe", "SHINZO ABE")]
    ['shinzo-abe', 'shinzo-abe', 'shinzo-abe']
    """
    raw = thing.strip()
    if not raw:
        raise NotFound("say what to describe: an IRI, a record id or a name")
    node = _by_iri_or_id(graph, raw)
    if node is not None:
        return node
    exact, partial = _by_name(graph, raw)
    if len(exact) == 1:
        return next(iter(exact))
    if not exact and not partial:
        raise NotFound(
            f"nothing in the graph is called {raw!r}{near_record_ids(graph, raw)} (tried IRIs, "
            "record ids, labels, titles and acronyms in every language); `kg query timeline` "
            "or `kg report` list what there is"
        )
    candidates = _candidates(GraphView(graph, display=display), exact or partial)
    if not exact:
        raise NotFound(
            f"nothing is called exactly {raw!r}; did you mean one of these?\n"
            + "\n".join(f"  {c[0]}  {c[1]} ({c[2]})" for c in candidates[:20])
            + (f"\n  … and {len(candidates) - 20} more" if len(candidates) > 20 else "")
        )
    raise Ambiguous(raw, candidates)


def _by_iri_or_id(graph: Graph, raw: str) -> URIRef | None:
    """The node an IRI, prefixed name or record id names; None for a name."""

    def known(node: URIRef) -> bool:
        return (node, None, None) in graph

    prefix, sep, local = raw.partition(":")
    if "://" in raw or (sep and prefix in PREFIXES and not local.startswith("//")):
        node = URIRef(expand(raw) if "://" not in raw else raw.strip("<>"))
        if known(node):
            return node
        raise NotFound(f"nothing in the graph has the IRI {compact(node)}")
    if is_record_id(raw) and known(ID[raw]):
        return ID[raw]
    return None


def _by_name(graph: Graph, raw: str) -> tuple[set[URIRef], set[URIRef]]:
    """The nodes called exactly ``raw``, and those whose name contains it."""
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
    return exact, partial


def _candidates(view: GraphView, found: set[URIRef]) -> list[tuple[str, str, str]]:
    """(id or prefixed name, label, kind title) of each node found, sorted."""
    return sorted(
        (
            compact(n) if record_id(n) is None else str(record_id(n)),
            view.label(n),
            view.display.title(view.kind(n)),
        )
        for n in found
    )
