"""The founding source: every quote is verbatim, every key fact is in the graph.

The founding source of kg is a French NATO release on the visit of an Emerging
Security Challenges Division delegation to Tokyo (25-29 June 2013). Our own
committed copy of its text is ``records/founding/source-text/
000_22c4fe32b6ed6156.txt``; nothing here reads outside the repository.

(a) Every citation of ``src-nato-2013-esc-tokyo`` (record-level, on a qualified
    fact, anywhere in records/) quotes the release verbatim: its quote is a
    substring of the release after collapsing whitespace.
(b) A table of the release's key facts, each checked with a SPARQL ASK against
    the graph built from the records (``kg.builder.build_graph``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from kg.records.load import load_records
from kg.records.model import Record
from kg.resources import records_dir
from kg.terms.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "records"
FOUNDING = RECORDS / "founding"
SOURCE_ID = "src-nato-2013-esc-tokyo"
SOURCE_TEXT = FOUNDING / "source-text" / "000_22c4fe32b6ed6156.txt"
# sha256 of the release text as delivered; pins our copy so that nobody "fixes"
# the source to make a quote pass.
SOURCE_SHA256 = "f798fd4779c8df5de2bffe09069a20ac7dc090f52bd2fd0d13fb203cf9921f56"
FACT_SHEET_ID = "src-fact-sheet"
FACT_SHEET_TEXT = RECORDS / "fact-sheet" / "source-text" / "nato-japan-relations.md"


def collapse(text: str) -> str:
    """Collapse every run of whitespace to one space.

    >>> collapse("a\\n\\n  b ")
    'a b'
    """
    return re.sub(r"\s+", " ", text).strip()


def citations(rec: Record):
    """Every citation of a record: record-level ones and those on qualified facts."""
    yield from rec.sources
    for values in rec.fields.values():
        for value in values:
            yield from value.sources


@pytest.fixture(scope="module")
def release() -> str:
    return SOURCE_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def records():
    return load_records(RECORDS)


@pytest.fixture(scope="module")
def graph(bundled) -> Graph:
    """The records under RECORDS built: conftest's session build of the bundled
    records (records_dir() is RECORDS in a checkout), not a second build."""
    assert records_dir().resolve() == RECORDS.resolve()
    return bundled.graph


# --- (a) quotes ------------------------------------------------------------------


def test_source_copy_is_the_release_as_delivered() -> None:
    digest = hashlib.sha256(SOURCE_TEXT.read_bytes()).hexdigest()
    assert digest == SOURCE_SHA256


def test_every_quote_of_the_release_is_verbatim(records, release) -> None:
    text = collapse(release)
    checked, bad = 0, []
    for rec in records:
        for cite in citations(rec):
            if cite.source != SOURCE_ID or cite.quote is None:
                continue
            checked += 1
            if collapse(cite.quote) not in text:
                bad.append(f"{rec.file}:{cite.line} ({rec.id}): {cite.quote[:80]!r}")
    assert checked >= 100, f"only {checked} quotes of {SOURCE_ID} found"
    assert not bad, "quotes not found verbatim in the release:\n" + "\n".join(bad)


def test_every_fact_sheet_quote_in_founding_records_is_verbatim(records) -> None:
    if not FACT_SHEET_TEXT.exists():
        pytest.skip("no committed copy of the fact sheet")
    text = collapse(FACT_SHEET_TEXT.read_text(encoding="utf-8"))
    bad = [
        f"{rec.file}:{cite.line} ({rec.id}): {cite.quote[:80]!r}"
        for rec in records
        if Path(rec.file).resolve().is_relative_to(FOUNDING.resolve())
        for cite in citations(rec)
        if cite.source == FACT_SHEET_ID and cite.quote and collapse(cite.quote) not in text
    ]
    assert not bad, "quotes not found verbatim in the fact sheet:\n" + "\n".join(bad)


def test_every_founding_record_cites_the_release(records) -> None:
    missing = [
        rec.id
        for rec in records
        if Path(rec.file).resolve().is_relative_to(FOUNDING.resolve())
        and rec.type != "source"
        and not any(c.source == SOURCE_ID for c in citations(rec))
    ]
    assert not missing


def test_every_quotation_of_the_release_is_a_statement(graph, release) -> None:
    """Each «...» span of the release is the kg:text of exactly one statement."""
    spans = [collapse(m) for m in re.findall(r"«\s*(.*?)\s*»", release, re.S)]
    # The copy prints the first paragraph twice; it holds no quotation.
    assert len(spans) == 5
    texts = [
        collapse(str(o))
        for o in graph.objects(None, PREFIXES["kg"]["text"])
        if isinstance(o, Literal) and o.language == "fr"
    ]
    for span in spans:
        assert texts.count(span) == 1, span


# --- (b) key facts -----------------------------------------------------------------


def fr(text: str) -> str:
    """A French literal in SPARQL syntax (escaped by rdflib)."""
    return Literal(text, lang="fr").n3()


TITLE = (
    "L'OTAN et le Japon explorent les possibilités d'une coopération "
    "sur les défis de sécurité émergents"
)
CYBER_ABOUT = "une question sécuritaire mondiale appelant des approches et des réponses communes"
KIUCHI = (
    "Cet événement marque le début d'une nouvelle ère de collaboration entre l'OTAN et le "
    "Japon, qui partagent tous deux les mêmes valeurs"
)
HIKIHARA = (
    "l'OTAN peut offrir à ses partenaires la riche expérience et les vastes connaissances "
    "dont elle dispose en matière de sécurité mondiale"
)
GAUL_1 = "Que nous le voulions ou non, nous sommes plus interdépendants que jamais,"
GAUL_2 = (
    "Nos économies, nos populations, notre sécurité – tout est imbriqué. Aujourd'hui, par "
    "l’effet de la mondialisation, bon nombre de pays et d'organisations internationales sont "
    "confrontés à des défis de sécurité identiques. Ces problèmes communs appellent des "
    "approches et des réponses communes et, avant tout, une relation basée sur la confiance"
)
WALL = (
    "Le programme SPS a rempli, et continuera de remplir, un rôle des plus utiles en tant "
    "qu’outil de sécurité coopérative, conformément au concept stratégique de l’OTAN. Et il "
    "permettra de renforcer la coopération avec le Japon dans le domaine des sciences et "
    "technologies de défense, comme le prévoit la déclaration politique conjointe"
)


def role_ask(
    role: str, person: str, post: str, org: str, title_fr: str, attested: str, qualifier: str
) -> str:
    """ASK for a role assignment whose attestedOn date carries ``qualifier``."""
    return f"""
    ASK {{
      id:{role} a kg:RoleAssignment ; kg:holder id:{person} ; kg:post id:{post} ;
        kg:roleIn id:{org} ; kg:title {fr(title_fr)} ; kg:attestedOn {attested} .
      id:{post} kg:postIn ?o .
      ?f rdf:subject id:{role} ; rdf:predicate kg:attestedOn ; rdf:object {attested} ;
         kg:qualifier kg:{qualifier} .
    }}"""


def qualified(subject: str, prop: str, obj: str, qualifier: str) -> str:
    """ASK that `subject prop obj` is asserted and reified with `qualifier`."""
    return f"""
    ASK {{
      id:{subject} {prop} {obj} .
      ?f a rdf:Statement ; rdf:subject id:{subject} ; rdf:predicate {prop} ;
         rdf:object {obj} ; kg:qualifier kg:{qualifier} .
    }}"""


FACTS: dict[str, str] = {
    # --- the source itself
    "source: French NATO release, primary, title as printed": f"""
    ASK {{
      id:src-nato-2013-esc-tokyo a kg:SourceDocument ; kg:publisher id:nato ;
        dct:language "fr"^^xsd:language ; kg:reliability kg:Primary ;
        dct:title {fr(TITLE)} ;
        kg:localCopy "000_22c4fe32b6ed6156.txt" .
    }}""",
    "source: covers 25-29 June 2013, updated 9 Sep 2013 16:31": """
    ASK {
      id:src-nato-2013-esc-tokyo kg:coverageStart "2013-06-25"^^xsd:date ;
        kg:coverageEnd "2013-06-29"^^xsd:date ;
        kg:dateModified "2013-09-09T16:31:00"^^xsd:dateTime .
    }""",
    "source: no address is invented": """
    ASK { FILTER NOT EXISTS { id:src-nato-2013-esc-tokyo kg:address ?a } }""",
    # --- people
    "people: the six people named": """
    ASK {
      VALUES (?p ?name) {
        (id:anders-fogh-rasmussen "Anders Fogh Rasmussen"@fr)
        (id:shinzo-abe "Shinzo Abe"@fr)
        (id:minoru-kiuchi "Minoru Kiuchi"@fr)
        (id:takeshi-hikihara "Takeshi Hikihara"@fr)
        (id:michael-gaul "Michael Gaul"@fr)
        (id:matt-wall "Matt Wall"@fr)
      }
      ?p a kg:Person ; rdfs:label ?name .
    }""",
    "people: 'Shinzo Abeon' is recorded as a correction": """
    ASK {
      ?c a kg:Correction ; kg:corrects id:shinzo-abe ; kg:onProperty rdfs:label ;
         kg:asPrinted "Shinzo Abeon" ; kg:correctedValue "Shinzo Abe" ;
         kg:citedSource id:src-nato-2013-esc-tokyo .
    }""",
    "people: Abe's corrected name is qualified corrected": qualified(
        "shinzo-abe", "rdfs:label", '"Shinzo Abe"@fr', "Corrected"
    ),
    # --- titles
    "titles: Rasmussen, NATO Secretary General on 15 April 2013 (year derived)": role_ask(
        "role-anders-fogh-rasmussen-nato-secretary-general",
        "anders-fogh-rasmussen",
        "post-nato-secretary-general",
        "nato",
        "secrétaire général de l'OTAN",
        '"2013-04-15"^^xsd:date',
        "Derived",
    ),
    "titles: Abe, Japanese Prime Minister on 15 April 2013 (year derived)": role_ask(
        "role-shinzo-abe-prime-minister-of-japan",
        "shinzo-abe",
        "post-prime-minister-of-japan",
        "japan",
        "premier ministre japonais",
        '"2013-04-15"^^xsd:date',
        "Derived",
    ),
    "titles: Kiuchi, parliamentary vice-minister for foreign affairs, June 2013": role_ask(
        "role-minoru-kiuchi-parliamentary-vice-minister-for-foreign-affairs",
        "minoru-kiuchi",
        "post-parliamentary-vice-minister-for-foreign-affairs-of-japan",
        "japan-mofa",
        "vice ministre parlementaire japonais des Affaires étrangères",
        '"2013-06"^^xsd:gYearMonth',
        "Derived",
    ),
    "titles: Hikihara, deputy director-general of the foreign ministry, June 2013": role_ask(
        "role-takeshi-hikihara-mofa-deputy-director-general",
        "takeshi-hikihara",
        "post-deputy-director-general-japan-mofa",
        "japan-mofa",
        "directeur général adjoint du ministère des Affaires étrangères",
        '"2013-06"^^xsd:gYearMonth',
        "Inferred",
    ),
    "titles: Gaul, senior advisor in the ESC Division, June 2013": role_ask(
        "role-michael-gaul-esc-senior-advisor",
        "michael-gaul",
        "post-esc-senior-advisor-projects-and-strategy",
        "nato-esc-division",
        "conseiller principal pour les projets et la stratégie au sein de la Division Défis "
        "de sécurité émergents",
        '"2013-06"^^xsd:gYearMonth',
        "Inferred",
    ),
    "titles: Wall, political advisor at the US Mission to NATO, June 2013": role_ask(
        "role-matt-wall-us-mission-political-advisor",
        "matt-wall",
        "post-us-mission-to-nato-political-advisor",
        "us-mission-to-nato",
        "conseiller politique à la Mission des États Unis auprès de l’OTAN",
        '"2013-06"^^xsd:gYearMonth',
        "Inferred",
    ),
    "titles: Hikihara's ministry read as Japan's (inferred)": qualified(
        "role-takeshi-hikihara-mofa-deputy-director-general",
        "kg:roleIn",
        "id:japan-mofa",
        "Inferred",
    ),
    # --- organisations
    "organisations: ESC Division of NATO HQ, SPS within the ESC Division": """
    ASK {
      id:nato-hq kg:subOrganizationOf id:nato .
      id:nato-esc-division a kg:Division ; kg:subOrganizationOf id:nato-hq .
      id:nato-sps-programme a kg:Programme ; kg:subOrganizationOf id:nato-esc-division ;
        kg:acronym "SPS"@fr .
    }""",
    "organisations: the delegation is the ESC Division's": """
    ASK { id:nato-esc-delegation-2013 a kg:Delegation ; kg:delegationOf id:nato-esc-division . }""",
    "organisations: Japan's MOFA; the US Mission to NATO": """
    ASK {
      id:japan a kg:State . id:united-states a kg:State .
      id:japan-mofa a kg:Ministry ; kg:subOrganizationOf id:japan ;
        rdfs:label "ministère japonais des Affaires étrangères"@fr .
      id:us-mission-to-nato a kg:DiplomaticMission ; kg:sendingState id:united-states ;
        kg:accreditedTo id:nato .
    }""",
    "organisations: unnamed groups as actors": """
    ASK {
      id:esc-visit-2013-japanese-officials a kg:Group ; kg:affiliation id:japan ;
        rdfs:label "responsables gouvernementaux japonais"@fr .
      id:esc-visit-2013-high-level-experts a kg:Group ; rdfs:label "experts de haut niveau"@fr .
      id:esc-2013-working-session-experts a kg:Group ; kg:affiliation id:nato ;
        rdfs:label "experts OTAN et japonais"@fr .
    }""",
    # --- the visit
    "visit: Tokyo (Japan), 25-29 June 2013, by the delegation": """
    ASK {
      id:esc-visit-tokyo-2013 a kg:Visit ; kg:startDate "2013-06-25"^^xsd:date ;
        kg:endDate "2013-06-29"^^xsd:date ; kg:place id:tokyo ;
        kg:participant id:nato-esc-delegation-2013 .
      id:tokyo kg:country id:japan .
    }""",
    "visit: cyber defence, terrorism, proliferation; science and innovation": """
    ASK {
      id:esc-visit-tokyo-2013 kg:theme id:theme-cyber-defence, id:theme-terrorism,
        id:theme-proliferation, id:theme-science-and-innovation .
    }""",
    "visit: follows up the Joint Political Declaration": """
    ASK { id:esc-visit-tokyo-2013 kg:followsUp id:joint-political-declaration-2013 . }""",
    "visit: highlights a symposium and an SPS information day, organised jointly": """
    ASK {
      VALUES ?e { id:esc-visit-tokyo-2013-symposium id:esc-visit-tokyo-2013-sps-information-day }
      ?e kg:subEventOf id:esc-visit-tokyo-2013 ;
         kg:organizer id:japan-mofa, id:nato-sps-programme .
      id:esc-visit-tokyo-2013-symposium a kg:Symposium .
      id:esc-visit-tokyo-2013-sps-information-day a kg:InformationDay .
    }""",
    "visit: no day is invented for the sub-events": """
    ASK {
      FILTER NOT EXISTS {
        ?e kg:subEventOf+ id:esc-visit-tokyo-2013 ; kg:startDate ?d .
        FILTER (datatype(?d) = xsd:date)
      }
    }""",
    # --- attendance
    "information day: some 80 attendees (approximate)": qualified(
        "esc-visit-tokyo-2013-sps-information-day",
        "kg:attendance",
        '"80"^^xsd:integer',
        "Approximate",
    ),
    "information day: Japanese officials, experts and scientists": f"""
    ASK {{
      id:esc-visit-tokyo-2013-sps-information-day kg:attendeeDescription
        {fr("responsables gouvernementaux, experts et scientifiques japonais")} .
    }}""",
    # --- sessions and discussions
    "sessions: SPS presentation followed by two working sessions led by experts": """
    ASK {
      id:esc-visit-tokyo-2013-sps-presentation-session a kg:PresentationSession ;
        kg:followedBy id:esc-visit-tokyo-2013-working-session-cyber-defence,
                      id:esc-visit-tokyo-2013-working-session-cbrn-defence .
      id:esc-visit-tokyo-2013-working-session-cyber-defence a kg:WorkingSession ;
        kg:participant id:esc-2013-working-session-experts ; kg:theme id:theme-cyber-defence .
      id:esc-visit-tokyo-2013-working-session-cbrn-defence a kg:WorkingSession ;
        kg:participant id:esc-2013-working-session-experts ; kg:theme id:theme-cbrn-defence .
    }""",
    "discussions: delegation and Japanese officials, on cyber defence": """
    ASK {
      id:esc-visit-tokyo-2013-discussions a kg:Discussion ;
        kg:participant id:nato-esc-delegation-2013, id:esc-visit-2013-japanese-officials ;
        kg:theme id:theme-cyber-defence .
    }""",
    # --- the declaration and its signing
    "declaration: signed by Rasmussen and Abe, between NATO and Japan": f"""
    ASK {{
      id:joint-political-declaration-2013 a kg:Declaration ;
        dct:title {fr("déclaration politique conjointe")} ;
        kg:signatory id:anders-fogh-rasmussen, id:shinzo-abe ; kg:party id:nato, id:japan .
    }}""",
    "declaration: signed 15 April 2013 (year derived from 'dernier')": qualified(
        "joint-political-declaration-2013", "kg:signedOn", '"2013-04-15"^^xsd:date', "Derived"
    ),
    "declaration: emerging security challenges are one of its priorities": """
    ASK {
      id:joint-political-declaration-2013 kg:priority id:theme-emerging-security-challenges .
    }""",
    # The release names no place: a place may only come from another source.
    "signing: 15 April 2013, Rasmussen and Abe, no place from the release": """
    ASK {
      id:signing-joint-political-declaration-2013 a kg:Signing ;
        kg:startDate "2013-04-15"^^xsd:date ;
        kg:participant id:anders-fogh-rasmussen, id:shinzo-abe ;
        kg:producedDocument id:joint-political-declaration-2013 .
      FILTER NOT EXISTS {
        { id:signing-joint-political-declaration-2013 kg:place ?p }
        UNION { id:joint-political-declaration-2013 kg:signedAt ?p }
        FILTER NOT EXISTS {
          { id:signing-joint-political-declaration-2013 kg:citation/kg:citedSource ?other }
          UNION { id:joint-political-declaration-2013 kg:citation/kg:citedSource ?other }
          FILTER(?other != id:src-nato-2013-esc-tokyo)
        }
      }
    }""",
    # --- quotations
    "quotation: Kiuchi, in his welcome speech": f"""
    ASK {{
      ?q a kg:Quotation ; kg:text {fr(KIUCHI)} ; kg:speaker id:minoru-kiuchi ;
         kg:speakerRole id:role-minoru-kiuchi-parliamentary-vice-minister-for-foreign-affairs ;
         kg:occasion "discours de bienvenue"@fr ; kg:saidAt ?speech .
      ?speech a kg:Speech ; kg:participant id:minoru-kiuchi .
    }}""",
    "quotation: Hikihara": f"""
    ASK {{ ?q a kg:Quotation ; kg:text {fr(HIKIHARA)} ; kg:speaker id:takeshi-hikihara . }}""",
    "quotation: Gaul, in two parts, the second continuing the first": f"""
    ASK {{
      ?q1 a kg:Quotation ; kg:text {fr(GAUL_1)} ; kg:speaker id:michael-gaul .
      ?q2 a kg:Quotation ; kg:text {fr(GAUL_2)} ; kg:speaker id:michael-gaul ;
          kg:continues ?q1 .
    }}""",
    "quotation: Wall, on the Strategic Concept and the Joint Political Declaration": f"""
    ASK {{
      ?q a kg:Quotation ; kg:text {fr(WALL)} ; kg:speaker id:matt-wall ;
         kg:references id:joint-political-declaration-2013, id:nato-strategic-concept-2010 ;
         kg:theme id:theme-cooperative-security, id:theme-defence-science-and-technology .
      ?f rdf:subject ?q ; rdf:predicate kg:references ;
         rdf:object id:nato-strategic-concept-2010 ; kg:qualifier kg:Inferred .
    }}""",
    # --- interests
    "interest: Japan stated interest in cyber and CBRN defence before the event": """
    ASK {
      ?i a kg:InterestExpression ; kg:interestKind kg:InterestStated ;
         kg:interestedParty id:japan ;
         kg:theme id:theme-cyber-defence, id:theme-cbrn-defence ;
         kg:expressedBefore id:esc-visit-tokyo-2013-sps-information-day .
    }""",
    "interest: delegation and officials converged on cyber defence": f"""
    ASK {{
      ?i a kg:InterestExpression ; kg:interestKind kg:InterestConverged ;
         kg:interestedParty id:nato-esc-delegation-2013, id:esc-visit-2013-japanese-officials ;
         kg:theme id:theme-cyber-defence ;
         kg:expressedAt id:esc-visit-tokyo-2013-discussions ;
         kg:about {fr(CYBER_ABOUT)} .
    }}""",
    # --- themes
    "themes: the release's themes with its French labels": """
    ASK {
      VALUES (?t ?label) {
        (id:theme-emerging-security-challenges "défis de sécurité émergents"@fr)
        (id:theme-cyber-defence "cyberdéfense"@fr)
        (id:theme-terrorism "terrorisme"@fr)
        (id:theme-proliferation "prolifération"@fr)
        (id:theme-cooperative-security "sécurité coopérative"@fr)
        (id:theme-defence-science-and-technology "sciences et technologies de défense"@fr)
      }
      ?t a kg:SecurityTheme ; skos:prefLabel ?label ; skos:inScheme kg:SecurityThemes .
    }""",
    "themes: CBRN defence and its four narrower themes": """
    ASK {
      id:theme-cbrn-defence skos:broader id:theme-emerging-security-challenges .
      id:theme-chemical-defence skos:broader id:theme-cbrn-defence .
      id:theme-biological-defence skos:broader id:theme-cbrn-defence .
      id:theme-radiological-defence skos:broader id:theme-cbrn-defence .
      id:theme-nuclear-defence skos:broader id:theme-cbrn-defence .
      id:theme-emerging-security-challenges skos:topConceptOf kg:SecurityThemes .
    }""",
    # --- provenance
    "provenance: a quote is attached to a citation of the release": """
    ASK {
      id:esc-visit-tokyo-2013 kg:citation ?c ; prov:wasDerivedFrom id:src-nato-2013-esc-tokyo .
      ?c a kg:Citation ; kg:citedSource id:src-nato-2013-esc-tokyo ; kg:quote ?q .
      FILTER (lang(?q) = "fr")
    }""",
}


@pytest.mark.parametrize("name", list(FACTS))
def test_key_fact_is_in_the_graph(graph, name: str) -> None:
    result = graph.query(FACTS[name], initNs=PREFIXES)
    assert result.askAnswer, f"{name}\n{FACTS[name]}"
