"""The fact sheet: every quote is verbatim, every fact row is in the graph.

The fact sheet ``nato-japan-relations.md`` is the project's compiled list of
dated NATO–Japan facts, each row naming its public source (S01–S30). Our own
committed copy is ``records/fact-sheet/source-text/nato-japan-relations.md``;
nothing here reads outside the repository.

(a) Every citation that quotes the sheet -- ``via: src-fact-sheet`` (we know
    what an S-source says through the sheet) or ``source: src-fact-sheet`` --
    is a verbatim substring of the sheet, after normalising both sides the same
    way: every run of whitespace collapsed to one space, and the markdown
    emphasis markers ``**`` and ``*`` removed (the sheet writes "**secondary
    only**", "*derived*", "(*Relations with Japan*)"; a record quotes the words,
    not the markup). Nothing else is normalised: dashes, quotes, Japanese text
    and the "·" separators are compared as printed.
(b) A table enumerating every fact row of the sheet -- each person's titles and
    dates (§1.1), each organisation (§1.2), each timeline row T01–T40 (date,
    place, participants), each document D1–D7 (date, parties), each list of
    areas A1–A13 (source, areas), each quotation Q1–Q3 (exact text, language,
    speaker) and each source S01–S30 (address, P/S, language) -- checked with
    SPARQL ASK queries against the graph built by ``kg.builder.build_graph``. A
    further test parses the sheet's tables and fails if any row has no entry in
    the table, so dropping a row (from the sheet's coverage or from the records)
    fails the suite.

The areas rows (A1–A13) are records of a proposed type, ``cooperation-areas``
(see records/fact-sheet/cooperation-areas.yaml). Until that type is in
ontology/record-types.yaml the loader refuses the file; the graph is then
built from a copy of the records without it, the A-row graph checks are
skipped (with that reason), and a YAML-level check of the A-rows runs instead.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal

from kg.records.schema import load_schema
from kg.resources import records_dir
from kg.terms.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "records"
FACT_SHEET_DIR = RECORDS / "fact-sheet"
SHEET_TEXT = FACT_SHEET_DIR / "source-text" / "nato-japan-relations.md"
# sha256 of the fact sheet as delivered; pins our copy so that nobody "fixes"
# the sheet to make a quote pass.
SHEET_SHA256 = "898f6c0b93b2825ee0f410977b540ccebee8c8bf84a13c8f0bc651cf3a98d5de"
SHEET_ID = "src-fact-sheet"
AREAS_TYPE = "cooperation-areas"
AREAS_FILE = FACT_SHEET_DIR / "cooperation-areas.yaml"


def normalise(text: str) -> str:
    """Collapse whitespace and drop markdown emphasis markers (``**``, ``*``).

    >>> normalise("**Secondary only**.  Not *derived*\\n here")
    'Secondary only. Not derived here'
    """
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", "")).strip()


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet() -> str:
    return SHEET_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graph(bundled) -> Graph:
    """The records under RECORDS built: conftest's session build of the bundled
    records (records_dir() is RECORDS in a checkout), not a second build."""
    assert records_dir().resolve() == RECORDS.resolve()
    return bundled.graph


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


def _citations(node, rid=None):
    """Every citation mapping (record-level or on a qualified value) in parsed YAML."""
    if isinstance(node, dict):
        rid = node.get("id", rid)
        if "source" in node and "quote" in node:
            yield rid, node
        for value in node.values():
            yield from _citations(value, rid)
    elif isinstance(node, list):
        for item in node:
            yield from _citations(item, rid)


# --- (a) quotes -------------------------------------------------------------------------


def test_sheet_copy_is_the_sheet_as_delivered() -> None:
    assert hashlib.sha256(SHEET_TEXT.read_bytes()).hexdigest() == SHEET_SHA256


def test_every_quote_of_the_sheet_is_verbatim(sheet) -> None:
    """All files under records/ (founding included), read as plain YAML so that the
    A-rows file is checked even before its record type exists."""
    text = normalise(sheet)
    checked, bad = 0, []
    for path in _yaml_files(RECORDS):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rid, cite in _citations(data):
            if SHEET_ID not in (cite.get("via"), cite.get("source")):
                continue
            checked += 1
            if normalise(str(cite["quote"])) not in text:
                bad.append(f"{path.relative_to(ROOT)} ({rid}): {str(cite['quote'])[:90]!r}")
    assert checked >= 500, f"only {checked} quotes of the fact sheet found"
    assert not bad, "quotes not found verbatim in the fact sheet:\n" + "\n".join(bad)


def test_every_fact_sheet_record_cites_the_sheet() -> None:
    """Each record in records/fact-sheet/ has a citation through (or of) the sheet."""
    missing = []
    for path in _yaml_files(FACT_SHEET_DIR):
        for rec in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cites = list(_citations(rec))
            if not any(SHEET_ID in (c.get("via"), c.get("source")) for _, c in cites):
                missing.append(rec["id"])
    assert not missing


def test_no_links_or_ids_from_memory() -> None:
    """The sheet gives no Wikidata or other external ids: no sameAs in our records."""
    offending = [
        rec["id"]
        for path in _yaml_files(FACT_SHEET_DIR)
        for rec in yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if "sameAs" in rec
    ]
    assert not offending


# --- (b) the fact rows ----------------------------------------------------------------


def d(s: str) -> str:
    """A date literal typed by its form.

    >>> d("2013-04"), d("2013")
    ('"2013-04"^^xsd:gYearMonth', '"2013"^^xsd:gYear')
    """
    kind = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(s)]
    return f'"{s}"^^xsd:{kind}'


def en(text: str) -> str:
    return Literal(text, lang="en").n3()


def ja(text: str) -> str:
    return Literal(text, lang="ja").n3()


def src(key: str) -> str:
    return "src-" + key.lower()


_CITE_VARS = itertools.count()


def cited(rid: str, locator: str, *keys: str) -> str:
    """Graph pattern: ``rid`` (or one of its qualified facts) cites each S-source ``keys``
    through the sheet, at ``locator``."""
    parts = []
    for key in keys:
        n = next(_CITE_VARS)
        parts.append(
            f"{{ {{ id:{rid} kg:citation ?c{n} }} UNION "
            f"{{ ?f{n} rdf:subject id:{rid} ; kg:citation ?c{n} }} "
            f'?c{n} kg:citedSource id:{src(key)} ; kg:locator "{locator}" ; '
            f"kg:via id:{SHEET_ID} . }}"
        )
    return "\n".join(parts)


def ask(*patterns: str) -> str:
    return "ASK {\n" + "\n".join(patterns) + "\n}"


_FACT_VARS = itertools.count()


def qualified(subject: str, prop: str, obj: str, *qualifiers: str) -> str:
    """Graph pattern: ``subject prop obj`` is asserted and reified with ``qualifiers``."""
    quals = " ; ".join(f"kg:qualifier kg:{q}" for q in qualifiers)
    var = f"?fact{next(_FACT_VARS)}"
    return (
        f"id:{subject} {prop} {obj} . {var} a rdf:Statement ; rdf:subject id:{subject} ; "
        f"rdf:predicate {prop} ; rdf:object {obj} ; {quals} ."
    )


def record_qualified(rid: str, *qualifiers: str) -> str:
    return " ".join(f"id:{rid} kg:qualifier kg:{q} ." for q in qualifiers)


FACTS: dict[str, str] = {}

# --- §1.1 People -------------------------------------------------------------------------

P11 = "§1.1 People, row "


def role(rid: str, person: str, post: str | None, org: str, dates: list[str]) -> str:
    pattern = f"id:{rid} a kg:RoleAssignment ; kg:roleIn id:{org}"
    if person:
        pattern += f" ; kg:holder id:{person}"
    if post:
        pattern += f" ; kg:post id:{post}"
    for date in dates:
        pattern += f" ; kg:attestedOn {d(date)}"
    return pattern + " ."


FACTS.update(
    {
        "Anders Fogh Rasmussen: person, ja label, press spelling": ask(
            "id:anders-fogh-rasmussen a kg:Person ; "
            f"rdfs:label {en('Anders Fogh Rasmussen')}, {ja('アナス・フォー・ラスムセン')} ; "
            f"skos:altLabel {en('Anders Rasmussen')}, {ja('ラスムセン事務総長')} .",
            cited(
                "anders-fogh-rasmussen", P11 + "Anders Fogh Rasmussen", "S19", "S20", "S22", "S24"
            ),
        ),
        "Anders Fogh Rasmussen: NATO SG on 2013-04-15 and 2014-05-06": ask(
            role(
                "role-anders-fogh-rasmussen-nato-secretary-general",
                "anders-fogh-rasmussen",
                "post-nato-secretary-general",
                "nato",
                ["2013-04-15", "2014-05-06"],
            ),
            f"id:role-anders-fogh-rasmussen-nato-secretary-general kg:title {ja('NATO事務総長')} .",
            cited(
                "role-anders-fogh-rasmussen-nato-secretary-general",
                P11 + "Anders Fogh Rasmussen",
                "S03",
                "S05",
                "S06",
                "S07",
                "S08",
            ),
        ),
        "Shinzo Abe: person, ja labels": ask(
            f"id:shinzo-abe a kg:Person ; rdfs:label {en('Shinzo Abe')}, {ja('安倍晋三')} ; "
            f"skos:altLabel {ja('安倍晋三内閣総理大臣')}, {ja('安倍総理大臣')} ."
        ),
        "Shinzo Abe: PM in 2007-01, 2013-04-15, 2014-05-06, 2017-10-31, 2018-01-12": ask(
            role(
                "role-shinzo-abe-prime-minister-of-japan",
                "shinzo-abe",
                "post-prime-minister-of-japan",
                "japan",
                ["2007-01", "2013-04-15", "2014-05-06", "2017-10-31", "2018-01-12"],
            ),
            f"id:role-shinzo-abe-prime-minister-of-japan kg:title {ja('内閣総理大臣')} .",
            cited(
                "role-shinzo-abe-prime-minister-of-japan",
                P11 + "Shinzo Abe",
                "S08",
                "S07",
                "S27",
                "S25a",
                "S06",
                "S25c",
            ),
        ),
        "Shinzo Abe: the 2018-01-12 date is press only and derived": ask(
            qualified(
                "role-shinzo-abe-prime-minister-of-japan",
                "kg:attestedOn",
                d("2018-01-12"),
                "SecondaryOnly",
                "Derived",
            )
        ),
        "Shinzo Abe: 'former PM' in November 2022 is kept in the note": ask(
            "id:role-shinzo-abe-prime-minister-of-japan skos:editorialNote ?n . "
            'FILTER (CONTAINS(STR(?n), "former") && CONTAINS(STR(?n), "2022"))'
        ),
        "Jens Stoltenberg: person, ja label": ask(
            f"id:jens-stoltenberg a kg:Person ; rdfs:label {en('Jens Stoltenberg')}, "
            f"{ja('イェンス・ストルテンベルグ')} .",
            cited("jens-stoltenberg", P11 + "Jens Stoltenberg", "S27", "S15", "S16"),
        ),
        "Jens Stoltenberg: NATO SG on 2017-10-31, 2022-06-29, 2023-01-31, 2023-07-12": ask(
            role(
                "role-jens-stoltenberg-nato-secretary-general",
                "jens-stoltenberg",
                "post-nato-secretary-general",
                "nato",
                ["2017-10-31", "2022-06-29", "2023-01-31", "2023-07-12"],
            ),
            "id:role-jens-stoltenberg-nato-secretary-general "
            f"kg:title {ja('北大西洋条約機構(NATO)事務総長')} .",
            qualified(
                "role-jens-stoltenberg-nato-secretary-general",
                "kg:attestedOn",
                d("2022-06-29"),
                "SecondaryOnly",
            ),
            cited(
                "role-jens-stoltenberg-nato-secretary-general",
                P11 + "Jens Stoltenberg",
                "S27",
                "S29b",
                "S15",
                "S16",
            ),
        ),
        "Fumio Kishida (written KISHIDA Fumio in S15): person and name forms": ask(
            f"id:fumio-kishida a kg:Person ; rdfs:label {en('Fumio Kishida')} ; "
            f"skos:altLabel {en('KISHIDA Fumio')} .",
            "FILTER NOT EXISTS { id:fumio-kishida rdfs:label ?l . FILTER (lang(?l) = 'ja') }",
        ),
        "Fumio Kishida (written KISHIDA Fumio in "
        "S15): Foreign Minister 2013-04-16, press only": ask(
            role(
                "role-fumio-kishida-minister-for-foreign-affairs",
                "fumio-kishida",
                "post-minister-for-foreign-affairs-of-japan",
                "japan-mofa",
                ["2013-04-16"],
            ),
            record_qualified("role-fumio-kishida-minister-for-foreign-affairs", "SecondaryOnly"),
            cited(
                "role-fumio-kishida-minister-for-foreign-affairs",
                P11 + "Fumio Kishida",
                "S22",
            ),
        ),
        "Fumio Kishida (written KISHIDA Fumio in S15): "
        "PM on 2022-06-29, 2023-01-31, 2023-07-12": ask(
            role(
                "role-fumio-kishida-prime-minister-of-japan",
                "fumio-kishida",
                "post-prime-minister-of-japan",
                "japan",
                ["2022-06-29", "2023-01-31", "2023-07-12"],
            ),
            qualified(
                "role-fumio-kishida-prime-minister-of-japan",
                "kg:attestedOn",
                d("2022-06-29"),
                "SecondaryOnly",
            ),
            "FILTER NOT EXISTS { id:role-fumio-kishida-prime-minister-of-japan kg:startDate ?s }",
            cited(
                "role-fumio-kishida-prime-minister-of-japan",
                P11 + "Fumio Kishida",
                "S29b",
                "S15",
                "S16",
            ),
        ),
        "Yasuo Fukuda (romanised by us; the source uses kanji only): PM on 2007-12-13": ask(
            f"id:yasuo-fukuda a kg:Person ; rdfs:label {en('Yasuo Fukuda')}, {ja('福田康夫')} .",
            role(
                "role-yasuo-fukuda-prime-minister-of-japan",
                "yasuo-fukuda",
                "post-prime-minister-of-japan",
                "japan",
                ["2007-12-13"],
            ),
            f"id:role-yasuo-fukuda-prime-minister-of-japan kg:title {ja('日本国内閣総理大臣')} .",
            cited("role-yasuo-fukuda-prime-minister-of-japan", P11 + "Yasuo Fukuda", "S28"),
        ),
        "Jaap de Hoop Scheffer (romanised by us; the "
        "source uses katakana only): NATO SG on 2007-12-13": ask(
            f"id:jaap-de-hoop-scheffer a kg:Person ; rdfs:label {en('Jaap de Hoop Scheffer')}, "
            f"{ja('ヤープ・デ・ホープ・スケッフェル')} .",
            role(
                "role-jaap-de-hoop-scheffer-nato-secretary-general",
                "jaap-de-hoop-scheffer",
                "post-nato-secretary-general",
                "nato",
                ["2007-12-13"],
            ),
            cited(
                "role-jaap-de-hoop-scheffer-nato-secretary-general",
                P11 + "Jaap de Hoop Scheffer",
                "S28",
            ),
        ),
        "Hajime Hayashi: Ambassador to Belgium and "
        "representative to NATO to 2018-05-24 (press)": ask(
            f"id:hajime-hayashi a kg:Person ; rdfs:label {en('Hajime Hayashi')} .",
            role(
                "role-hajime-hayashi-ambassador-to-belgium",
                "hajime-hayashi",
                "post-ambassador-of-japan-to-belgium",
                "embassy-of-japan-in-belgium",
                ["2018-05-24"],
            ),
            role(
                "role-hajime-hayashi-representative-to-nato",
                "hajime-hayashi",
                "post-representative-of-japan-to-nato",
                "japan",
                ["2018-05-24"],
            ),
            record_qualified("role-hajime-hayashi-ambassador-to-belgium", "SecondaryOnly"),
            record_qualified("role-hajime-hayashi-representative-to-nato", "SecondaryOnly"),
            cited("role-hajime-hayashi-ambassador-to-belgium", P11 + "Hajime Hayashi", "S18"),
        ),
        "Hajime Hayashi: first Ambassador of Japan to NATO from 2018-07-01": ask(
            "id:role-hajime-hayashi-ambassador-to-nato a kg:RoleAssignment ; "
            "kg:holder id:hajime-hayashi ; kg:post id:post-ambassador-of-japan-to-nato ; "
            f"kg:roleIn id:mission-of-japan-to-nato ; kg:startDate {d('2018-07-01')} .",
            cited("role-hajime-hayashi-ambassador-to-nato", P11 + "Hajime Hayashi", "S17"),
        ),
        "Merle Maigre: CCDCOE director, January 2018 (press)": ask(
            role(
                "role-merle-maigre-ccdcoe-director",
                "merle-maigre",
                "post-ccdcoe-director",
                "ccdcoe",
                ["2018-01"],
            ),
            record_qualified("merle-maigre", "SecondaryOnly"),
            record_qualified("role-merle-maigre-ccdcoe-director", "SecondaryOnly"),
            cited("role-merle-maigre-ccdcoe-director", P11 + "Merle Maigre", "S25a", "S25b"),
        ),
        "Jüri Ratas: Prime Minister of Estonia, January 2018 (press)": ask(
            f"id:juri-ratas a kg:Person ; rdfs:label {en('Jüri Ratas')} .",
            role(
                "role-juri-ratas-prime-minister-of-estonia",
                "juri-ratas",
                "post-prime-minister-of-estonia",
                "estonia",
                ["2018-01"],
            ),
            record_qualified("role-juri-ratas-prime-minister-of-estonia", "SecondaryOnly"),
            cited("role-juri-ratas-prime-minister-of-estonia", P11 + "Jüri Ratas", "S25b"),
        ),
        "Seiichi Hamada: Defence Minister of Japan, November 2022 (press)": ask(
            role(
                "role-seiichi-hamada-minister-of-defense",
                "seiichi-hamada",
                "post-minister-of-defense-of-japan",
                "japan-ministry-of-defense",
                ["2022-11"],
            ),
            record_qualified("role-seiichi-hamada-minister-of-defense", "SecondaryOnly"),
            cited("role-seiichi-hamada-minister-of-defense", P11 + "Seiichi Hamada", "S25c"),
        ),
    }
)

# --- §1.2 Organisations and bodies ---------------------------------------------------------

P12 = "§1.2 Organisations and bodies, row "

FACTS.update(
    {
        "North Atlantic Treaty Organization (NATO): founded 1949, ja label": ask(
            f"id:nato a kg:IntergovernmentalOrganization ; rdfs:label {ja('北大西洋条約機構')} ; "
            f"kg:foundingDate {d('1949')} ; dct:description ?desc .",
            'FILTER (CONTAINS(STR(?desc), "29 member states") && '
            'CONTAINS(STR(?desc), "collective defence, '
            'crisis management and cooperative security"))',
            cited("nato", P12 + "NATO", "S17", "S26"),
        ),
        "North Atlantic Council (NAC): body of NATO, ja label": ask(
            "id:north-atlantic-council a kg:OrganizationalUnit "
            f"; rdfs:label {ja('北大西洋理事会')} ; "
            f"kg:acronym {en('NAC')} ; kg:subOrganizationOf id:nato .",
            cited(
                "north-atlantic-council", P12 + "North Atlantic Council (NAC)", "S07", "S08", "S18"
            ),
        ),
        "NATO Headquarters, Brussels: ja label, in Brussels": ask(
            f"id:nato-hq rdfs:label {ja('NATO本部')} ; kg:basedIn id:brussels .",
            "id:nato-hq-site a kg:Place ; rdfs:label "
            f"{ja('NATO本部')} ; kg:locatedIn id:brussels .",
            cited("nato-hq-site", P12 + "NATO Headquarters, Brussels", "S07", "S08"),
        ),
        "NATO Maritime Command (MARCOM), United Kingdom: UK from S18 only; Japanese liaison": ask(
            "id:nato-marcom a kg:MilitaryBody ; kg:acronym "
            f"{en('MARCOM')} ; kg:subOrganizationOf id:nato .",
            qualified("nato-marcom", "kg:basedIn", "id:place-united-kingdom", "SecondaryOnly"),
            "id:role-japan-liaison-officer-nato-marcom kg:roleIn id:nato-marcom .",
            cited(
                "nato-marcom", P12 + "NATO Maritime Command (MARCOM), United Kingdom", "S09", "S18"
            ),
        ),
        "Supreme Headquarters Allied Powers Europe (SHAPE), Belgium: press only": ask(
            "id:shape a kg:MilitaryBody ; kg:acronym "
            f"{en('SHAPE')} ; kg:basedIn id:place-belgium .",
            record_qualified("shape", "SecondaryOnly"),
            "id:role-japan-liaison-officer-shape kg:roleIn id:shape .",
        ),
        "NATO Defense College: press only": ask(
            f"id:nato-defense-college rdfs:label {en('NATO Defense College')} .",
            record_qualified("nato-defense-college", "SecondaryOnly"),
            cited("nato-defense-college", P12 + "NATO Defense College", "S24"),
        ),
        "NATO Cooperative Cyber Defence Centre of Excellence (CCDCOE), Tallinn, Estonia: "
        "in Tallinn, NATO-accredited": ask(
            f"id:ccdcoe kg:acronym {en('CCDCOE')} ; kg:basedIn "
            "id:tallinn ; kg:accreditedTo id:nato .",
            "id:tallinn kg:locatedIn id:place-estonia . id:place-estonia kg:country id:estonia .",
            cited(
                "ccdcoe",
                P12
                + "NATO Cooperative Cyber Defence Centre of Excellence (CCDCOE), Tallinn, Estonia",
                "S12",
                "S25a",
                "S25b",
            ),
        ),
        "Science for Peace and Security (SPS) Programme: ja label, set up 1958 (S30 only)": ask(
            f"id:nato-sps-programme rdfs:label {ja('平和と安全保障のための科学')} .",
            qualified("nato-sps-programme", "kg:foundingDate", d("1958"), "SecondaryOnly"),
            cited(
                "nato-sps-programme",
                P12 + "Science for Peace and Security (SPS) Programme",
                "S26",
                "S30",
            ),
        ),
        "International Security Assistance Force (ISAF), Afghanistan: ja label": ask(
            "id:isaf a kg:Operation ; rdfs:label "
            f"{ja('国際治安支援部隊')} ; kg:acronym {en('ISAF')} ; "
            "kg:basedIn id:place-afghanistan .",
            cited(
                "isaf",
                P12 + "International Security Assistance Force (ISAF), Afghanistan",
                "S04",
                "S28",
                "S09",
            ),
        ),
        "Operation Ocean Shield: ja label; Gulf of Aden": ask(
            "id:operation-ocean-shield a kg:Operation "
            f"; rdfs:label {ja('オーシャンシールド作戦')} .",
            f"id:gulf-of-aden a kg:Place ; rdfs:label {ja('アデン湾')} .",
            cited("operation-ocean-shield", P12 + "Operation Ocean Shield", "S08"),
        ),
        "Partnership Interoperability Initiative / "
        "Interoperability Platform: Japan since 2014": ask(
            "id:nato-interoperability-platform kg:subOrganizationOf "
            "id:nato-partnership-interoperability-initiative .",
            "id:nato-partnership-interoperability-initiative kg:subOrganizationOf id:nato .",
            "id:japan-joins-interoperability-platform-2014 kg:participant id:japan, "
            f"id:nato-interoperability-platform ; kg:startDate {d('2014')} .",
        ),
        "Partnership Cooperation Menu: a NATO catalogue (document)": ask(
            "id:nato-partnership-cooperation-menu a kg:Document ; kg:author id:nato .",
            cited(
                "nato-partnership-cooperation-menu",
                P12 + "Partnership Cooperation Menu",
                "S13",
            ),
        ),
        "Prime Minister's Office of Japan (Kantei): body and venue, ja label": ask(
            f"id:japan-kantei a kg:GovernmentBody ; rdfs:label {ja('総理官邸')} ; "
            "kg:basedIn id:prime-ministers-office-tokyo .",
            f"id:prime-ministers-office-tokyo a kg:Place ; rdfs:label {ja('総理官邸')} ; "
            "kg:locatedIn id:tokyo .",
            cited("japan-kantei", P12 + "Prime Minister's Office of Japan (Kantei)", "S05", "S06"),
        ),
        "Ministry of Foreign Affairs of Japan (MOFA): "
        "ja label; co-host 2023; Stoltenberg's host": ask(
            f"id:japan-mofa a kg:Ministry ; rdfs:label {ja('外務省')} .",
            "id:sps-information-day-tokyo-2023-11-15 kg:organizer id:japan-mofa .",
            "id:stoltenberg-visit-japan-2017 kg:organizer id:japan-mofa .",
            cited(
                "japan-mofa",
                P12 + "Ministry of Foreign Affairs of Japan (MOFA)",
                "S26",
                "S27",
            ),
        ),
        "Ministry of Defense of Japan (JMOD): press only": ask(
            f"id:japan-ministry-of-defense a kg:Ministry ; kg:acronym {en('JMOD')} .",
            record_qualified("japan-ministry-of-defense", "SecondaryOnly"),
            cited("japan-ministry-of-defense", P12 + "Ministry of Defense of Japan (JMOD)", "S25c"),
        ),
        "Japan Self-Defense Forces; Japan Maritime Self-Defense Force (JMSDF) training squadron: "
        "SDF, JMSDF squadron, counter-piracy unit": ask(
            f"id:japan-self-defense-forces a kg:MilitaryBody ; rdfs:label {ja('自衛隊')} .",
            "id:jmsdf-training-squadron kg:subOrganizationOf id:jmsdf .",
            "id:sdf-counter-piracy-unit-gulf-of-aden kg:subOrganizationOf "
            "id:japan-self-defense-forces ; kg:basedIn id:gulf-of-aden .",
        ),
        "Mission of Japan to NATO (based at the Embassy "
        "of Japan in Belgium, Brussels): est. 2018-07-01": ask(
            "id:mission-of-japan-to-nato a kg:DiplomaticMission ; kg:sendingState id:japan ; "
            "kg:accreditedTo id:nato ; kg:basedIn id:brussels "
            f"; kg:foundingDate {d('2018-07-01')} .",
            "id:embassy-of-japan-in-belgium a kg:DiplomaticMission ; kg:basedIn id:brussels ; "
            "kg:accreditedTo id:belgium .",
        ),
        "NATO's Indo-Pacific partners: Australia, "
        "Republic of Korea, New Zealand, Japan: the four": ask(
            "id:nato-indo-pacific-partners a kg:Group ; kg:affiliation id:australia, "
            'id:republic-of-korea, id:new-zealand, id:japan ; kg:size "4"^^xsd:integer .',
            cited(
                "nato-indo-pacific-partners",
                P12 + "NATO's Indo-Pacific partners",
                "S12",
                "S29a",
            ),
        ),
        "Japan National Press Club, Tokyo: venue in Tokyo": ask(
            "id:japan-national-press-club a kg:Place ; "
            f"rdfs:label {en('Japan National Press Club')} ; "
            "kg:locatedIn id:tokyo .",
            cited("japan-national-press-club", P12 + "Japan National Press Club, Tokyo", "S21"),
        ),
    }
)

# --- §2 Timeline T01-T40 ---------------------------------------------------------------------

# row, record, class, start, places, participants, S-sources cited at that row's locator
EVENTS: list[tuple[str, str, str, str | None, list[str], list[str], list[str]]] = [
    (
        "T01",
        "first-nato-japan-contacts",
        "Event",
        None,  # "early 1990s": bounds, not a start (below)
        [],
        ["nato", "japan"],
        ["S09", "S10", "S11", "S12", "S13", "S18"],
    ),
    (
        "T02",
        "abe-visit-nato-hq-2007-01",
        "Visit",
        "2007-01",
        ["nato-hq-site"],
        ["shinzo-abe"],
        ["S08"],
    ),
    (
        "T03",
        "fukuda-de-hoop-scheffer-talks-2007-12-13",
        "Talks",
        "2007-12-13",
        ["tokyo"],
        ["yasuo-fukuda", "jaap-de-hoop-scheffer"],
        ["S28"],
    ),
    ("T04", "nato-lisbon-summit-2010", "Summit", "2010", ["lisbon"], ["nato-allies"], ["S13"]),
    ("T05", "nato-decision-partner-missions-2011", "Event", "2011", [], ["nato"], ["S18"]),
    (
        "T06",
        "rasmussen-visit-japan-2013-04",
        "Visit",
        "2013-04-13",
        ["tokyo"],
        ["anders-fogh-rasmussen", "japan-defence-minister-2013-04", "fumio-kishida"],
        ["S22", "S04"],
    ),
    (
        "T07",
        "rasmussen-speech-japan-national-press-club-2013-04-15",
        "Speech",
        "2013-04-15",
        ["japan-national-press-club"],
        ["anders-fogh-rasmussen"],
        ["S21", "S20"],
    ),
    (
        "T08",
        "rasmussen-courtesy-call-on-abe-2013-04-15",
        "CourtesyCall",
        "2013-04-15",
        ["prime-ministers-office-tokyo"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S05", "S06"],
    ),
    (
        "T09",
        "abe-rasmussen-discussion-east-asia-2013-04-15",
        "Discussion",
        "2013-04-15",
        ["prime-ministers-office-tokyo"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S05", "S06", "S03"],
    ),
    (
        "T10",
        "signing-joint-political-declaration-2013",
        "Signing",
        "2013-04-15",
        ["prime-ministers-office-tokyo"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S03", "S05", "S06", "S02"],
    ),
    (
        "T11",
        "joint-press-conference-2013-04-15",
        "PressConference",
        "2013-04-15",
        ["tokyo"],
        ["anders-fogh-rasmussen", "shinzo-abe"],
        ["S04", "S05", "S19", "S20", "S22"],
    ),
    (
        "T12",
        "press-coverage-joint-political-declaration-2013",
        "Event",
        "2013-04-15",
        [],
        [],
        ["S19", "S23", "S20", "S22"],
    ),
    ("T13", "japan-drafts-ipcp-2013", "Event", None, [], ["japan", "nato"], ["S13"]),
    (
        "T14",
        "esc-visit-tokyo-2013",
        "Visit",
        "2013-06-25",
        ["tokyo"],
        ["nato-esc-delegation-2013"],
        ["S01"],
    ),
    (
        "T15",
        "abe-visit-nato-hq-2014-05-06",
        "Visit",
        "2014-05-06",
        ["nato-hq-site"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S07", "S08", "S24"],
    ),
    (
        "T16",
        "signing-ipcp-2014-05-06",
        "Signing",
        "2014-05-06",
        ["nato-hq-site"],
        ["anders-fogh-rasmussen", "shinzo-abe"],
        ["S07", "S24"],
    ),
    (
        "T17",
        "abe-speech-nac-special-session-2014-05-06",
        "Speech",
        "2014-05-06",
        ["nato-hq-site"],
        ["shinzo-abe", "north-atlantic-council"],
        ["S07", "S08"],
    ),
    (
        "T18",
        "abe-rasmussen-discussion-proposals-2014-05-06",
        "Discussion",
        "2014-05-06",
        ["nato-hq-site"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S08"],
    ),
    (
        "T19",
        "abe-rasmussen-discussion-ukraine-afghanistan-2014-05-06",
        "Discussion",
        "2014-05-06",
        ["nato-hq-site"],
        ["shinzo-abe", "anders-fogh-rasmussen"],
        ["S08", "S07"],
    ),
    (
        "T20",
        "joint-press-conference-2014-05-06",
        "PressConference",
        "2014-05-06",
        ["brussels"],
        ["shinzo-abe", "anders-fogh-rasmussen", "unnamed-japanese-official-2014-05-06"],
        ["S24"],
    ),
    (
        "T21",
        "japan-joins-interoperability-platform-2014",
        "Event",
        "2014",
        [],
        ["japan", "nato-allies", "interoperability-platform-partners"],
        ["S09", "S10", "S11"],
    ),
    (
        "T22",
        "jmsdf-exercises-with-nato-vessels",
        "Event",
        None,
        ["waters-off-spain", "baltic-sea"],
        ["jmsdf-training-squadron", "nato-marcom"],
        ["S09", "S10", "S11"],
    ),
    (
        "T23",
        "stoltenberg-courtesy-call-on-abe-2017-10-31",
        "CourtesyCall",
        "2017-10-31",
        ["place-japan"],
        ["shinzo-abe", "jens-stoltenberg"],
        ["S27"],
    ),
    (
        "T24",
        "abe-stoltenberg-discussion-2017-10-31",
        "Discussion",
        "2017-10-31",
        ["place-japan"],
        ["shinzo-abe", "jens-stoltenberg"],
        ["S27"],
    ),
    (
        "T25",
        "abe-visit-estonia-2018-01-12",
        "Visit",
        "2018-01-12",
        ["place-estonia"],
        ["shinzo-abe", "juri-ratas", "merle-maigre"],
        ["S25a", "S25b"],
    ),
    (
        "T26",
        "nac-decision-japan-mission-2018-05-24",
        "Meeting",
        "2018-05-24",
        ["brussels"],
        ["north-atlantic-council", "japan", "hajime-hayashi"],
        ["S18"],
    ),
    (
        "T27",
        "mission-of-japan-to-nato-established-2018-07-01",
        "Event",
        "2018-07-01",
        ["brussels"],
        ["hajime-hayashi", "mission-of-japan-to-nato"],
        ["S17"],
    ),
    (
        "T29",
        "jmod-official-posted-at-ccdcoe-2019",
        "Event",
        "2019",
        ["tallinn"],
        ["japan-ministry-of-defense", "ccdcoe"],
        ["S25c"],
    ),
    ("T30", "ipcp-renewal-2020-06", "Event", "2020-06", [], ["nato", "japan"], ["S10", "S11"]),
    (
        "T31",
        "japan-takes-part-in-locked-shields-2021",
        "Event",
        "2021",
        [],
        ["japan"],
        ["S25c", "S12"],
    ),
    (
        "T32",
        "nato-madrid-summit-2022",
        "Summit",
        "2022-06",
        ["madrid"],
        ["fumio-kishida"],
        ["S15", "S29a", "S29b"],
    ),
    (
        "T33",
        "kishida-stoltenberg-meeting-2022-06-29",
        "Meeting",
        "2022-06-29",
        ["madrid"],
        ["fumio-kishida", "jens-stoltenberg"],
        ["S29b"],
    ),
    (
        "T34",
        "hamada-press-conference-ccdcoe-2022-11",
        "PressConference",
        "2022-11",
        ["place-japan"],
        ["seiichi-hamada", "japan-ministry-of-defense"],
        ["S25c", "S12"],
    ),
    (
        "T35",
        "kishida-stoltenberg-meeting-2023-01-31",
        "Meeting",
        "2023-01-31",
        ["tokyo"],
        ["fumio-kishida", "jens-stoltenberg"],
        ["S15"],
    ),
    (
        "T36",
        "itpp-agreement-2023-07-12",
        "Event",
        "2023-07-12",
        ["vilnius"],
        ["nato", "japan", "fumio-kishida", "jens-stoltenberg"],
        ["S14", "S12", "S29a"],
    ),
    (
        "T37",
        "stoltenberg-welcome-remarks-kishida-2023-07-12",
        "Speech",
        "2023-07-12",
        ["brussels", "vilnius"],
        ["jens-stoltenberg", "fumio-kishida"],
        ["S16", "S29a"],
    ),
    (
        "T38",
        "vilnius-summit-indo-pacific-partners-talks-2023-07",
        "Meeting",
        "2023-07",
        ["vilnius"],
        ["fumio-kishida", "indo-pacific-partner-leaders-vilnius-2023"],
        ["S29a"],
    ),
    (
        "T39",
        "sps-information-day-tokyo-2023-11-15",
        "InformationDay",
        "2023-11-15",
        ["tokyo"],
        [],
        ["S26"],
    ),
]

for row, rid, cls, start, places, participants, keys in EVENTS:
    pattern = f"id:{rid} a kg:{cls}"
    if start:
        pattern += f" ; kg:startDate {d(start)}"
    for place in places:
        pattern += f" ; kg:place id:{place}"
    for agent in participants:
        pattern += f" ; kg:participant id:{agent}"
    FACTS[f"{row}: {rid} (date, place, participants)"] = ask(pattern + " .", cited(rid, row, *keys))

FACTS.update(
    {
        "T01: 'early 1990s' is the bounds 1990 to 1999, with no start": ask(
            f"id:first-nato-japan-contacts kg:notBefore {d('1990')} ; kg:notAfter {d('1999')} .",
            "FILTER NOT EXISTS { id:first-nato-japan-contacts kg:startDate ?start }",
        ),
        "T03: the talks produced the joint press statement (D1)": ask(
            "id:fukuda-de-hoop-scheffer-talks-2007-12-13 kg:producedDocument "
            "id:fukuda-de-hoop-scheffer-joint-press-statement-2007 ."
        ),
        "T04: the Lisbon Summit adopted the 2010 Strategic Concept": ask(
            "id:nato-lisbon-summit-2010 kg:producedDocument id:nato-strategic-concept-2010 ."
        ),
        "T05: secondary only": ask(
            record_qualified("nato-decision-partner-missions-2011", "SecondaryOnly")
        ),
        "T06: four days to 2013-04-16, press only; defence minister; Kishida talks unsure": ask(
            f"id:rasmussen-visit-japan-2013-04 kg:endDate {d('2013-04-16')} .",
            qualified(
                "rasmussen-visit-japan-2013-04", "kg:startDate", d("2013-04-13"), "SecondaryOnly"
            ),
            qualified(
                "rasmussen-visit-japan-2013-04", "kg:participant", "id:fumio-kishida", "Uncertain"
            ),
            "id:rasmussen-meeting-japan-defence-minister-2013-04-15 a kg:Meeting ; "
            f"kg:startDate {d('2013-04-15')} ; kg:participant id:japan-defence-minister-2013-04 ; "
            "kg:qualifier kg:SecondaryOnly .",
            "id:japan-defence-minister-2013-04 a kg:Group ; "
            "kg:affiliation id:japan-ministry-of-defense .",
            "FILTER NOT EXISTS { id:japan-defence-minister-2013-04 a kg:Person }",
            "id:rasmussen-kishida-talks-2013-04-16 kg:startDate "
            f"{d('2013-04-16')} ; kg:qualifier kg:Uncertain, kg:SecondaryOnly .",
        ),
        "T07: day derived, press only, before the signing": ask(
            qualified(
                "rasmussen-speech-japan-national-press-club-2013-04-15",
                "kg:startDate",
                d("2013-04-15"),
                "Derived",
            ),
            record_qualified(
                "rasmussen-speech-japan-national-press-club-2013-04-15", "SecondaryOnly"
            ),
            "id:rasmussen-speech-japan-national-press-club-2013-04-15 kg:followedBy "
            "id:signing-joint-political-declaration-2013 .",
        ),
        "T08: from 18:15, about 30 min; HA/DR study group proposed": ask(
            "id:rasmussen-courtesy-call-on-abe-2013-04-15 "
            'kg:startTime "2013-04-15T18:15:00"^^xsd:dateTime ; kg:duration "about 30 min" ; '
            "kg:theme id:theme-humanitarian-assistance-and-disaster-relief .",
            "id:interest-abe-2013-hadr-study-group kg:expressedAt "
            "id:rasmussen-courtesy-call-on-abe-2013-04-15 .",
        ),
        "T09: part of the courtesy call; North Korea": ask(
            "id:abe-rasmussen-discussion-east-asia-2013-04-15 kg:subEventOf "
            "id:rasmussen-courtesy-call-on-abe-2013-04-15 ; kg:theme id:theme-north-korea ."
        ),
        "T10: the signing produced the declaration": ask(
            "id:signing-joint-political-declaration-2013 kg:producedDocument "
            "id:joint-political-declaration-2013 ."
        ),
        "T12: press interpretation, secondary only": ask(
            record_qualified("press-coverage-joint-political-declaration-2013", "SecondaryOnly"),
            "id:press-coverage-joint-political-declaration-2013 kg:theme id:theme-china ; "
            f"kg:endDate {d('2013-04-16')} .",
        ),
        "T13: after April 2013, before May 2014 (derived); IPCP in preparation": ask(
            qualified("japan-drafts-ipcp-2013", "kg:notBefore", d("2013-04"), "Derived"),
            qualified("japan-drafts-ipcp-2013", "kg:notAfter", d("2014-05"), "Derived"),
            "FILTER NOT EXISTS { id:japan-drafts-ipcp-2013 kg:startDate ?start }",
            "id:japan-drafts-ipcp-2013 kg:producedDocument id:ipcp-2014 .",
        ),
        "T14: pointer only -- the founding visit, 2013-06-25 to 06-29, cites S01": ask(
            f"id:esc-visit-tokyo-2013 kg:endDate {d('2013-06-29')} .",
            "id:src-s01 kg:copyOf id:src-nato-2013-esc-tokyo .",
        ),
        "T15: talks held during the visit": ask(
            "id:abe-rasmussen-talks-2014-05-06 a kg:Talks ; kg:subEventOf "
            'id:abe-visit-nato-hq-2014-05-06 ; kg:startDate "2014-05-06"^^xsd:date .'
        ),
        "T16: the signing produced the IPCP": ask(
            "id:signing-ipcp-2014-05-06 kg:producedDocument id:ipcp-2014 ; "
            "kg:subEventOf id:abe-visit-nato-hq-2014-05-06 ."
        ),
        "T18: counter-piracy and WPS proposals": ask(
            "id:abe-rasmussen-discussion-proposals-2014-05-06 kg:theme id:theme-counter-piracy, "
            "id:theme-women-peace-and-security ; kg:subEventOf id:abe-rasmussen-talks-2014-05-06 ."
        ),
        "T20: secondary only": ask(
            record_qualified("joint-press-conference-2014-05-06", "SecondaryOnly")
        ),
        "T22: undated -- no start, only on or before 2018-09-12": ask(
            f"id:jmsdf-exercises-with-nato-vessels kg:notAfter {d('2018-09-12')} ; "
            "kg:theme id:theme-maritime-security .",
            "FILTER NOT EXISTS { id:jmsdf-exercises-with-nato-vessels kg:startDate ?any }",
        ),
        "T23: from 10:45, about 35 min, during a MOFA-hosted visit; joint press statement": ask(
            "id:stoltenberg-courtesy-call-on-abe-2017-10-31 "
            'kg:startTime "2017-10-31T10:45:00"^^xsd:dateTime ; kg:duration "about 35 min" ; '
            "kg:subEventOf id:stoltenberg-visit-japan-2017 ; "
            "kg:producedDocument id:japan-nato-joint-press-statement-2017 .",
            "id:stoltenberg-visit-japan-2017 kg:organizer id:japan-mofa ; "
            "kg:participant id:jens-stoltenberg .",
        ),
        "T24: abductions issue, East and South China Seas": ask(
            "id:abe-stoltenberg-discussion-2017-10-31 kg:theme id:theme-abductions-issue, "
            "id:theme-east-and-south-china-seas ."
        ),
        "T25: press only; year derived": ask(
            record_qualified("abe-visit-estonia-2018-01-12", "SecondaryOnly"),
            qualified(
                "abe-visit-estonia-2018-01-12",
                "kg:startDate",
                d("2018-01-12"),
                "Derived",
                "SecondaryOnly",
            ),
        ),
        "T26: press only; produced the NAC decision (D5)": ask(
            record_qualified("nac-decision-japan-mission-2018-05-24", "SecondaryOnly"),
            "id:nac-decision-japan-mission-2018-05-24 kg:producedDocument "
            "id:nac-decision-accrediting-japan-mission-2018 .",
        ),
        "T28: liaison officers at SHAPE and MARCOM and a WPS staff officer, as of 2018-05": ask(
            role("role-japan-liaison-officer-shape", "", None, "shape", ["2018-05"]),
            role(
                "role-japan-liaison-officer-nato-marcom",
                "",
                None,
                "nato-marcom",
                ["2018-05", "2018-09-12"],
            ),
            role("role-japan-wps-staff-officer-nato", "", None, "nato", ["2018-05"]),
            record_qualified("role-japan-liaison-officer-shape", "SecondaryOnly"),
            record_qualified("role-japan-wps-staff-officer-nato", "SecondaryOnly"),
            "FILTER NOT EXISTS { id:role-japan-liaison-officer-shape kg:holder ?h }",
            cited("role-japan-liaison-officer-shape", "T28", "S18"),
            cited("role-japan-liaison-officer-nato-marcom", "T28", "S09", "S18"),
        ),
        "T29: press only and hedged": ask(
            record_qualified("jmod-official-posted-at-ccdcoe-2019", "SecondaryOnly", "Uncertain")
        ),
        "T30: the renewal follows up the IPCP": ask(
            "id:ipcp-renewal-2020-06 kg:followsUp id:ipcp-2014 ."
        ),
        "T31: year derived from the press": ask(
            qualified(
                "japan-takes-part-in-locked-shields-2021",
                "kg:startDate",
                d("2021"),
                "Derived",
                "SecondaryOnly",
            )
        ),
        "T32: Madrid from the press; Spain from S29a": ask(
            qualified("nato-madrid-summit-2022", "kg:place", "id:madrid", "SecondaryOnly"),
            "id:madrid kg:locatedIn id:place-spain .",
        ),
        "T33: on the summit sidelines, day derived, press only": ask(
            "id:kishida-stoltenberg-meeting-2022-06-29 kg:subEventOf id:nato-madrid-summit-2022 .",
            qualified(
                "kishida-stoltenberg-meeting-2022-06-29", "kg:startDate", d("2022-06-29"), "Derived"
            ),
            record_qualified("kishida-stoltenberg-meeting-2022-06-29", "SecondaryOnly"),
        ),
        "T34: press only": ask(
            record_qualified("hamada-press-conference-ccdcoe-2022-11", "SecondaryOnly")
        ),
        # S12 confirms only the status the description ends with: it is cited on that fact,
        # never by the record, which rests on the press alone.
        # S12's reading of the description is the sentence it confirms, not the whole.
        "T34: S12 supports the status only": ask(
            "?f rdf:subject id:hamada-press-conference-ccdcoe-2022-11 ; "
            "rdf:predicate dct:description ; kg:accordingTo id:src-s12 ; rdf:object "
            '"Japan joins Australia and South Korea among non-NATO contributing '
            'participants."@en .',
            "FILTER NOT EXISTS { id:hamada-press-conference-ccdcoe-2022-11 "
            "prov:wasDerivedFrom id:src-s12 }",
            "FILTER NOT EXISTS { ?whole rdf:subject id:hamada-press-conference-ccdcoe-2022-11 ; "
            "kg:accordingTo id:src-s12 ; rdf:object ?o . "
            "id:hamada-press-conference-ccdcoe-2022-11 dct:description ?o }",
        ),
        "T35: the meeting produced the Joint Statement (D6)": ask(
            "id:kishida-stoltenberg-meeting-2023-01-31 kg:producedDocument "
            "id:nato-japan-joint-statement-2023-01-31 ."
        ),
        "T36: place and signatories from the press only; produced the ITPP": ask(
            qualified("itpp-agreement-2023-07-12", "kg:place", "id:vilnius", "SecondaryOnly"),
            qualified(
                "itpp-agreement-2023-07-12", "kg:participant", "id:fumio-kishida", "SecondaryOnly"
            ),
            "id:itpp-agreement-2023-07-12 kg:producedDocument id:itpp-2023-2026 .",
            "id:vilnius kg:locatedIn id:place-lithuania .",
        ),
        "T37: place disputed -- Brussels (S16) and Vilnius (S29a) both recorded": ask(
            qualified(
                "stoltenberg-welcome-remarks-kishida-2023-07-12",
                "kg:place",
                "id:brussels",
                "Disputed",
            ),
            qualified(
                "stoltenberg-welcome-remarks-kishida-2023-07-12",
                "kg:place",
                "id:vilnius",
                "Disputed",
                "SecondaryOnly",
            ),
        ),
        "T38: press only; part of the Vilnius Summit": ask(
            record_qualified("vilnius-summit-indo-pacific-partners-talks-2023-07", "SecondaryOnly"),
            "id:vilnius-summit-indo-pacific-partners-talks-2023-07 kg:subEventOf "
            "id:nato-vilnius-summit-2023 .",
            "id:indo-pacific-partner-leaders-vilnius-2023 kg:affiliation id:australia, "
            "id:new-zealand, id:republic-of-korea .",
        ),
        "T39: co-hosted by MOFA and the SPS Programme": ask(
            "id:sps-information-day-tokyo-2023-11-15 kg:organizer id:japan-mofa, "
            "id:nato-sps-programme ; kg:theme id:theme-science-and-technology ."
        ),
        "T40: NATO's four Indo-Pacific partners as of 2024-06-03 (S12)": ask(
            "id:nato-indo-pacific-partners kg:affiliation id:japan, id:australia, "
            "id:republic-of-korea, id:new-zealand .",
            cited("nato-indo-pacific-partners", "T40", "S12"),
            cited("itpp-2023-2026", "T40", "S12"),
            cited("japan-takes-part-in-locked-shields-2021", "T40", "S12"),
        ),
    }
)

# --- §3 Documents D1-D7 ------------------------------------------------------------------

FACTS.update(
    {
        "D1: joint press statement, 2007-12-13, Fukuda and de Hoop Scheffer": ask(
            "id:fukuda-de-hoop-scheffer-joint-press-statement-2007 a kg:JointStatement ; "
            f"kg:date {d('2007-12-13')} ; kg:author id:yasuo-fukuda, id:jaap-de-hoop-scheffer ; "
            f"dct:title {ja('福田総理とNATO事務総長の共同記者発表')} .",
            cited("fukuda-de-hoop-scheffer-joint-press-statement-2007", "D1", "S28"),
        ),
        "D2: declaration signed 2013-04-15 by Abe and Rasmussen, Tokyo": ask(
            "id:joint-political-declaration-2013 a kg:Declaration ; "
            f"kg:signedOn {d('2013-04-15')} ; kg:signatory "
            "id:shinzo-abe, id:anders-fogh-rasmussen ; "
            "kg:party id:nato, id:japan ; kg:signedAt id:prime-ministers-office-tokyo ; "
            f"dct:title {ja('共同政治宣言')} .",
            cited("joint-political-declaration-2013", "D2", "S02", "S03", "S05", "S06"),
        ),
        "D2: the page date 2013-04-13 is recorded, qualified disputed": ask(
            qualified("joint-political-declaration-2013", "kg:date", d("2013-04-13"), "Disputed"),
            cited("joint-political-declaration-2013", "T10", "S02"),
        ),
        "D3: IPCP signed 2014-05-06 at NATO HQ by Rasmussen and Abe": ask(
            "id:ipcp-2014 a kg:PartnershipProgramme ; "
            f"kg:signedOn {d('2014-05-06')} ; kg:signedAt id:nato-hq-site ; "
            "kg:signatory id:anders-fogh-rasmussen, id:shinzo-abe .",
            cited("ipcp-2014", "D3", "S07", "S13", "S10", "S11", "S29b", "S12"),
        ),
        "D4: joint press statement (outline), 2017-10-31, Abe and Stoltenberg": ask(
            "id:japan-nato-joint-press-statement-2017 a kg:JointStatement ; "
            f"kg:date {d('2017-10-31')} ; kg:author id:shinzo-abe, id:jens-stoltenberg ; "
            f"dct:title {ja('共同プレス声明(骨子)')} .",
            cited("japan-nato-joint-press-statement-2017", "D4", "S27"),
        ),
        "D5: NAC decision, 2018-05-24, NAC and Japan, press only": ask(
            "id:nac-decision-accrediting-japan-mission-2018 a kg:Document ; "
            f"kg:date {d('2018-05-24')} ; kg:party id:north-atlantic-council, id:japan .",
            record_qualified("nac-decision-accrediting-japan-mission-2018", "SecondaryOnly"),
            cited("nac-decision-accrediting-japan-mission-2018", "D5", "S18"),
        ),
        "D6: Joint Statement, 2023-01-31, Kishida and Stoltenberg": ask(
            "id:nato-japan-joint-statement-2023-01-31 a kg:JointStatement ; "
            f"kg:date {d('2023-01-31')} ; kg:author id:fumio-kishida, id:jens-stoltenberg .",
            cited("nato-japan-joint-statement-2023-01-31", "D6", "S15"),
        ),
        "D7: ITPP 2023-2026, 2023-07-12, NATO and Japan; Vilnius and signatories press only": ask(
            "id:itpp-2023-2026 a kg:PartnershipProgramme ; "
            f"kg:date {d('2023-07-12')} ; kg:party id:nato, id:japan ; kg:succeeds id:ipcp-2014 ; "
            f"kg:startDate {d('2023')} ; kg:endDate {d('2026')} .",
            qualified("itpp-2023-2026", "kg:signedAt", "id:vilnius", "SecondaryOnly"),
            qualified("itpp-2023-2026", "kg:signatory", "id:fumio-kishida", "SecondaryOnly"),
            qualified("itpp-2023-2026", "kg:signatory", "id:jens-stoltenberg", "SecondaryOnly"),
            cited("itpp-2023-2026", "D7", "S14", "S12", "S29a"),
        ),
        "D1-D7: a party is a state or an organisation, never a person": ask(
            "FILTER NOT EXISTS { ?doc kg:party ?p . ?p a kg:Person }",
            "FILTER EXISTS { ?doc kg:party ?p }",
        ),
        "D-refs: documents referred to (2010 and 2022 Strategic Concepts, NSS, UN Charter)": ask(
            f"id:nato-strategic-concept-2010 kg:date {d('2010')} .",
            f"id:nato-strategic-concept-2022 kg:author id:nato ; kg:date {d('2022')} .",
            "id:japan-national-security-strategy kg:author id:japan .",
            "id:charter-of-the-united-nations a kg:Document .",
        ),
    }
)

# --- §5 Statements Q1-Q3 -----------------------------------------------------------------

Q1 = (
    "While NATO has no ambition to take on a permanent role in Asia, we see very clearly "
    "the advantage of working with like-minded partners like Japan."
)
Q2 = "No other partner is closer to NATO than Japan."
Q3 = "必然のパートナー"

FACTS.update(
    {
        "Q1: Rasmussen, 2013-04-15, exact English text": ask(
            "id:statement-rasmussen-2013-04-15-like-minded-partners a kg:Quotation ; "
            f"kg:text {en(Q1)} ; kg:speaker id:anders-fogh-rasmussen ; "
            "kg:speakerRole id:role-anders-fogh-rasmussen-nato-secretary-general ; "
            f"kg:date {d('2013-04-15')} ; kg:saidAt id:joint-press-conference-2013-04-15 .",
            cited("statement-rasmussen-2013-04-15-like-minded-partners", "Q1", "S04", "S03"),
        ),
        "Q2: Stoltenberg, 2023-07-12, exact English text": ask(
            "id:statement-stoltenberg-2023-07-12-no-partner-closer a kg:Quotation ; "
            f"kg:text {en(Q2)} ; kg:speaker id:jens-stoltenberg ; "
            "kg:speakerRole id:role-jens-stoltenberg-nato-secretary-general ; "
            f"kg:date {d('2023-07-12')} ; "
            "kg:saidAt id:stoltenberg-welcome-remarks-kishida-2023-07-12 .",
            cited("statement-stoltenberg-2023-07-12-no-partner-closer", "Q2", "S16", "S29a"),
        ),
        "Q3: Abe, 2014-05-06, exact Japanese text, no English in kg:text": ask(
            "id:statement-abe-2014-05-06-inevitable-partner a kg:Quotation ; "
            f"kg:text {ja(Q3)} ; kg:speaker id:shinzo-abe ; "
            "kg:speakerRole id:role-shinzo-abe-prime-minister-of-japan ; "
            f"kg:date {d('2014-05-06')} ; "
            "kg:saidAt id:abe-rasmussen-discussion-proposals-2014-05-06 .",
            "FILTER NOT EXISTS { id:statement-abe-2014-05-06-inevitable-partner kg:text ?t . "
            "FILTER (lang(?t) != 'ja') }",
            cited("statement-abe-2014-05-06-inevitable-partner", "Q3", "S08"),
        ),
    }
)

# --- §6 Sources ----------------------------------------------------------------------------

# key, address, P/S, language, publisher record (or None), published (or None)
SOURCES: list[tuple[str, str, str, str, str | None, str | None]] = [
    (
        "S01",
        "https://news.alayham.com/content/nato-expands-global-partnership-japan",
        "Secondary",
        "en",
        None,
        "2013-07-04",
    ),
    (
        "S02",
        "https://www.nato.int/cps/en/natohq/official_texts_99562.htm",
        "Primary",
        "en",
        "nato",
        "2013-04-13",
    ),
    ("S03", "https://nato.int/cps/en/natohq/news_99655.htm", "Primary", "en", "nato", "2013-04-15"),
    (
        "S04",
        "https://www.nato.int/cps/ru/natohq/opinions_99659.htm",
        "Primary",
        "en",
        "nato",
        "2013-04-15",
    ),
    (
        "S05",
        "https://japan.kantei.go.jp/96_abe/diplomatic/201304/15nato_e.html",
        "Primary",
        "en",
        "japan-kantei",
        "2013-04-15",
    ),
    (
        "S06",
        "https://www.mofa.go.jp/mofaj/kaidan/page6_000037.html",
        "Primary",
        "ja",
        "japan-mofa",
        "2013-04-15",
    ),
    (
        "S07",
        "https://www.nato.int/cps/en/natohq/news_109508.htm",
        "Primary",
        "en",
        "nato",
        "2014-05-06",
    ),
    (
        "S08",
        "https://www.mofa.go.jp/mofaj/erp/ep/page24_000273.html",
        "Primary",
        "ja",
        "japan-mofa",
        None,
    ),
    ("S09", "https://www.nato.int/cps/en/natolive/topics_50336.htm", "Primary", "en", "nato", None),
    ("S10", "https://www.nato.int/cps/en/natolive/topics_50336.htm", "Primary", "en", "nato", None),
    ("S11", "https://www.nato.int/cps/en/natolive/topics_50336.htm", "Primary", "en", "nato", None),
    ("S12", "https://www.nato.int/cps/en/natohq/topics_50336.htm", "Primary", "en", "nato", None),
    (
        "S13",
        "http://www.nato.int/cps/en/SID-5D50E553-2743D331/natolive/topics.htm?query=J",
        "Primary",
        "en",
        "nato",
        None,
    ),
    (
        "S14",
        "https://www.nato.int/cps/en/SID-417B6705-17F0355D/natolive/official_texts_217797.htm",
        "Primary",
        "en",
        "nato",
        "2023-07-12",
    ),
    (
        "S15",
        "https://www.nato.int/cps/en/natolive/opinions_211294.htm",
        "Primary",
        "en",
        "nato",
        "2023-01-31",
    ),
    (
        "S16",
        "https://www.nato.int/cps/en/natohq/opinions_217083.htm",
        "Primary",
        "en",
        "nato",
        "2023-07-12",
    ),
    (
        "S17",
        "https://www.be.emb-japan.go.jp/itpr_en/nato_ambassador.html",
        "Primary",
        "en",
        "embassy-of-japan-in-belgium",
        None,
    ),
    (
        "S18",
        "https://diplomatmagazine.eu/2018/05/28/japan-accredits-mission-to-nato/?amp",
        "Secondary",
        "en",
        None,
        "2018-05-28",
    ),
    (
        "S19",
        "http://m.oananews.org/content/news/politics/japan-nato-adopt-1st-joint-political-statement",
        "Secondary",
        "en",
        None,
        None,
    ),
    (
        "S20",
        "https://www.japantimes.co.jp/news/2013/04/16/national/"
        "nato-chief-abe-pledge-closer-security-cooperation/",
        "Secondary",
        "en",
        None,
        "2013-04-16",
    ),
    (
        "S21",
        "https://www.atlanticcouncil.org/blogs/natosource/"
        "nato-and-japan-sign-political-declaration-for-a-stronger-partnership/",
        "Secondary",
        "en",
        None,
        None,
    ),
    (
        "S22",
        "https://www.armyrecognition.com/april_2013_news_defence_army_military_industry_uk/"
        "japan_and_nato_would_like_to_boost_bilateral_cooperation_in_security_area_1604131.html",
        "Secondary",
        "en",
        None,
        "2013-04-16",
    ),
    (
        "S23",
        "https://news.ntv.co.jp/category/politics/226802",
        "Secondary",
        "ja",
        None,
        "2013-04-15",
    ),
    (
        "S24",
        "http://mongoliaeconomy.blogspot.com/2014/05/japan-nato-agree-to-work-closer-sign.html",
        "Secondary",
        "en",
        None,
        "2014-05-07",
    ),
    (
        "S25a",
        "https://estonianworld.com/security/japan-join-nato-cyber-defence-centre-excellence-tallinn",
        "Secondary",
        "en",
        None,
        None,
    ),
    (
        "S25b",
        "https://news.err.ee/653903/japan-to-join-nato-cyber-defense-center-in-tallinn",
        "Secondary",
        "en",
        None,
        None,
    ),
    (
        "S25c",
        "https://www.infosecurity-magazine.com/news/japan-joins-key-nato-cyber-agency/",
        "Secondary",
        "en",
        None,
        None,
    ),
    (
        "S26",
        "https://www.mofa.go.jp/mofaj/erp/ep/page23_004526.html",
        "Primary",
        "ja",
        "japan-mofa",
        "2023-11-22",
    ),
    (
        "S27",
        "https://www.mofa.go.jp/mofaj/erp/ep/page4_003405.html",
        "Primary",
        "ja",
        "japan-mofa",
        "2017-10-31",
    ),
    (
        "S28",
        "https://www.mofa.go.jp/mofaj/area/nato/kh_0712.html",
        "Primary",
        "ja",
        "japan-mofa",
        "2007-12-13",
    ),
    (
        "S29a",
        "https://global.espreso.tv/"
        "japan-nato-agree-on-expanded-programme-of-partnership-and-cooperation-on-summits-sidelines",
        "Secondary",
        "en",
        None,
        None,
    ),
    ("S29b", "https://sp.m.jiji.com/english/show/20559", "Secondary", "en", None, "2022-06-30"),
    ("S30", "http://rbecs.karazin.ua/?lang=en&p=1776", "Secondary", "en", None, None),
]

for key, address, reliability, lang, publisher, published in SOURCES:
    rid = src(key)
    pattern = (
        f'id:{rid} a kg:SourceDocument ; kg:sourceKey "{key}" ; '
        f'kg:address "{address}"^^xsd:anyURI ; kg:reliability kg:{reliability} ; '
        f'dct:language "{lang}"^^xsd:language ; kg:publisherName ?pn ; kg:dateAsShown ?ds'
    )
    if publisher:
        pattern += f" ; kg:publisher id:{publisher}"
    if published:
        pattern += f" ; kg:datePublished {d(published)}"
    pattern += " ."
    extra = "" if published else f"FILTER NOT EXISTS {{ id:{rid} kg:datePublished ?p }}"
    FACTS[f"{key}: {rid} (address, P/S, language, publisher, date)"] = ask(
        pattern,
        extra,
        f"{{ id:{rid} kg:citation ?c . ?c kg:citedSource id:{SHEET_ID} ; "
        f'kg:locator "§6 {key}" . }}',
    )

FACTS.update(
    {
        "S09: versions 2018-09-12 / 2021-04-09 / 2023-02-10 of one address (S09-S11)": ask(
            f"id:src-s09 kg:dateModified {d('2018-09-12')} "
            f"; dct:title {en('Relations with Japan')} .",
            f"id:src-s10 kg:dateModified {d('2021-04-09')} .",
            f"id:src-s11 kg:dateModified {d('2023-02-10')} .",
        ),
        "S02: page dated 2013-04-13, updated 2013-04-16": ask(
            f"id:src-s02 kg:dateModified {d('2013-04-16')} ; "
            'kg:dateAsShown "2013-04-13 (updated 2013-04-16); signed 2013-04-15" .'
        ),
    }
)

# --- the areas rows A1-A13 (proposed type) --------------------------------------------------

# row, record, S-sources, dates, areas (theme ids)
AREAS: list[tuple[str, str, list[str], list[str], list[str]]] = [
    (
        "A1",
        "cooperation-areas-a1-mofa-2007",
        ["S28"],
        ["2007-12-13"],
        [
            "global-security",
            "terrorism",
            "afghanistan-stabilisation-and-reconstruction",
            "support-to-isaf",
        ],
    ),
    (
        "A2",
        "cooperation-areas-a2-declaration-2013",
        ["S02"],
        ["2013-04-13", "2013-04-15"],
        [
            "shared-values",
            "rules-based-order",
            "peaceful-settlement-of-disputes",
            "crisis-management",
            "post-conflict-stabilisation",
            "reconstruction",
            "humanitarian-assistance-and-disaster-relief",
            "freedom-of-navigation",
            "afghanistan",
        ],
    ),
    (
        "A3",
        "cooperation-areas-a3-2013-04-15",
        ["S03", "S04", "S05", "S06"],
        ["2013-04-15"],
        [
            "crisis-management",
            "disaster-relief",
            "terrorism",
            "counter-piracy",
            "cyber-defence",
            "maritime-security",
            "humanitarian-assistance-and-disaster-relief",
        ],
    ),
    (
        "A4",
        "cooperation-areas-a4-press-2013-04",
        ["S20", "S22", "S23", "S21"],
        ["2013-04"],
        [
            "disaster-relief",
            "terrorism",
            "proliferation",
            "maritime-security",
            "counter-piracy",
            "cyber-defence",
            "crisis-management",
            "defence-science-and-technology",
        ],
    ),
    # Row A5: two lists on one page, one listing each; the second is the declaration's.
    (
        "A5",
        "cooperation-areas-a5-nato-c2013",
        ["S13"],
        ["2013"],
        [
            "peace-support",
            "crisis-management",
            "civil-emergency-planning",
            "cyber-defence",
            "terrorism",
            "proliferation",
            "participation-in-military-activities",
            "afghanistan",
        ],
    ),
    (
        "A5",
        "cooperation-areas-a5-nato-declaration-summary-c2013",
        ["S13"],
        ["2013"],
        [
            "crisis-management",
            "peace-support",
            "disaster-relief",
            "missile-threats",
            "counter-piracy",
            "cyber-defence",
        ],
    ),
    (
        "A6",
        "cooperation-areas-a6-2014-05",
        ["S07", "S08", "S24"],
        ["2014-05"],
        [
            "counter-piracy",
            "disaster-relief",
            "humanitarian-assistance",
            "women-peace-and-security",
            "maritime-security",
            "cyber-defence",
            "education-and-training",
        ],
    ),
    (
        "A7",
        "cooperation-areas-a7-mofa-2017",
        ["S27"],
        ["2017-10-31"],
        [
            "north-korean-nuclear-and-missile-threat",
            "abductions-issue",
            "east-and-south-china-seas",
            "security-cooperation",
        ],
    ),
    (
        "A8",
        "cooperation-areas-a8-2018",
        ["S17", "S18"],
        ["2018-05", "2018-07"],
        [
            "cyber-defence",
            "maritime-security",
            "humanitarian-assistance-and-disaster-relief",
            "afghanistan",
            "counter-piracy",
            "support-to-partners",
            "women-peace-and-security",
        ],
    ),
    # Row A9: three versions of one page, one listing each with its own date and source;
    # the row says what each later version adds or renames, not what it keeps.
    (
        "A9",
        "cooperation-areas-a9-nato-topic-page-2018",
        ["S09"],
        ["2018-09-12"],
        [
            "cyber-defence",
            "maritime-security",
            "humanitarian-assistance-and-disaster-relief",
            "proliferation",
            "defence-science-and-technology",
            "women-peace-and-security",
            "interoperability",
            "support-to-isaf",
        ],
    ),
    (
        "A9",
        "cooperation-areas-a9-nato-topic-page-2021",
        ["S10"],
        ["2021-04-09"],
        ["human-security"],
    ),
    (
        "A9",
        "cooperation-areas-a9-nato-topic-page-2023",
        ["S11"],
        ["2023-02-10"],
        [
            "maritime-security",
            "cyber-defence",
            "proliferation",
            "science-and-technology",
            "women-peace-and-security",
        ],
    ),
    (
        "A10",
        "cooperation-areas-a10-press-2022-06-29",
        ["S29b"],
        ["2022-06-29"],
        ["partnership-policy", "military-exercises", "security-link-euro-atlantic-indo-pacific"],
    ),
    (
        "A11",
        "cooperation-areas-a11-itpp-press-2023",
        ["S29a"],
        ["2023-07"],
        [
            "maritime-security",
            "outer-space-security",
            "cyber-defence",
            "disinformation",
            "disruptive-technologies",
            "interoperability",
            "climate-change",
        ],
    ),
    (
        "A12",
        "cooperation-areas-a12-sps-info-day-2023",
        ["S26"],
        ["2023-11-15"],
        ["science-and-technology"],
    ),
    (
        "A13",
        "cooperation-areas-a13-nato-2024",
        ["S12"],
        ["2024-06-03"],
        [
            "cyber-defence",
            "new-technologies",
            "maritime-security",
            "humanitarian-assistance-and-disaster-relief",
            "proliferation",
            "science-and-technology",
            "human-security",
            "women-peace-and-security",
            "military-exercises",
            "indo-pacific-partners",
        ],
    ),
]
AREAS_SECONDARY_ONLY = {"A4", "A10", "A11"}


def areas_ask(rid: str) -> str:
    """The ASK for one listing of an A-row, with the properties the record type maps its
    fields to."""
    row, _, keys, dates, areas = next(a for a in AREAS if a[1] == rid)
    fields = load_schema().types[AREAS_TYPE].fields
    source_p, date_p, areas_p = (
        f"<{fields[name].property}>" for name in ("source", "date", "areas")
    )
    pattern = f"id:{rid} rdfs:label ?label"
    pattern += "".join(f" ; {source_p} id:{src(k)}" for k in keys)
    pattern += "".join(f" ; {date_p} {d(x)}" for x in dates)
    pattern += "".join(f" ; {areas_p} id:theme-{a}" for a in areas)
    parts = [pattern + " .", cited(rid, row, *keys)]
    if row in AREAS_SECONDARY_ONLY:
        parts.append(record_qualified(rid, "SecondaryOnly"))
    return ask(*parts)


for row, rid, *_ in AREAS:
    FACTS[f"{row}: areas of cooperation (source, date, areas), {rid}"] = f"AREAS:{rid}"


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FACTS))
def test_fact_row_is_in_the_graph(graph, name: str) -> None:
    query = FACTS[name]
    if query.startswith("AREAS:"):
        query = areas_ask(query.removeprefix("AREAS:"))
    result = graph.query(query, initNs=PREFIXES)
    assert result.askAnswer, f"{name}\n{query}"


def test_areas_rows_in_yaml() -> None:
    """A-rows at YAML level (runs whether or not the record type exists yet)."""
    records = {r["id"]: r for r in yaml.safe_load(AREAS_FILE.read_text(encoding="utf-8"))}

    def plain(v):
        return v["value"] if isinstance(v, dict) else v

    for row, rid, keys, dates, areas in AREAS:
        rec = records[rid]
        assert rec["type"] == AREAS_TYPE, row
        assert {plain(s) for s in rec["source"]} == {src(k) for k in keys}, row
        assert [plain(x) for x in rec["date"]] == dates, row
        assert {plain(a) for a in rec["areas"]} == {f"theme-{a}" for a in areas}, row
        assert any(c.get("locator") == row for c in rec["sources"]), row
    assert len(records) == len(AREAS) == 16
    assert len({row for row, *_ in AREAS}) == 13


def _sheet_rows(sheet: str) -> list[str]:
    """The first cell of every data row of every table in the sheet."""
    headers = {"Actor (Latin)", "Organisation / body", "#", "Key"}
    rows = []
    for line in sheet.splitlines():
        if not line.startswith("| "):
            continue
        first = line.split("|")[1].strip()
        if first in headers or set(first) <= {"-"}:
            continue
        rows.append(first)
    return rows


def test_every_row_of_the_sheet_has_an_entry(sheet) -> None:
    """Every table row of the sheet (people, organisations, T, D, A, Q and S rows) is
    checked by at least one entry of FACTS: dropping a row fails here."""
    rows = _sheet_rows(sheet)
    assert len(rows) == 10 + 19 + 40 + 7 + 13 + 3 + 33, len(rows)
    names = list(FACTS)
    # T28 is a state of affairs (person-less roles), T14 a pointer to the founding visit,
    # T40 the group of Indo-Pacific partners: each has its own entry all the same.
    missing = [row for row in rows if not any(n.startswith(f"{row}: ") for n in names)]
    assert not missing, "rows of the fact sheet with no entry in FACTS:\n" + "\n".join(missing)
