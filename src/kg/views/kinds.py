"""The kinds of things pages list and colour: person, organisation, event, …"""

from __future__ import annotations

from rdflib import URIRef

from kg.terms.namespaces import KG

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
