"""Synthetic records for benchmarks and equivalence tests: ``kg generate``.

The records are in exactly the curated format (docs/records.md): sources,
people, organisations, posts and roles over time, places, themes, events
with participants, organisers and themes, declarations, statements, interest
expressions, corrections and qualified facts, each citing a source with a
quote and a locator. Every name is invented from syllables (no real people),
every id starts with ``g-`` (themes with ``theme-g-``), and the same
``events`` and ``seed`` always give byte-identical files.

The number of records, and so of triples, grows linearly with ``events``
(about 34 triples per event). ``violations`` injects exactly that many
SHACL violations, each one on its own record and of a known kind:

* an event whose end date is before its start (``kgsh:Period-endDate-order``);
* a label in a language the shapes do not allow (``kgsh:Record-label``).

>>> import tempfile
>>> from pathlib import Path
>>> out = Path(tempfile.mkdtemp())
>>> summary = generate_records(out, events=5, seed=1)
>>> summary.events, summary.violations
(5, 0)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import UsageError
from kg.progress import bar
from kg.rdfio.atomic import Staged
from kg.rdfio.folders import output_folder

RECORDS_PER_FILE = 2000


_SYLLABLES = (
    "ka", "ri", "lo", "ve", "ta", "mi", "ro", "sen", "dal", "bor", "nek", "tru", "vin", "sa",
    "ho", "li", "ne", "mar", "tel", "gu", "ba", "zor", "qui", "fen", "wal", "dro", "pim", "sta",
    "ul", "or", "en", "ith",
)  # fmt: skip


_EVENT_TYPES = (
    "meeting", "visit", "talks", "symposium", "working-session", "courtesy-call",
    "press-conference", "speech", "discussion", "information-day", "summit",
)  # fmt: skip


_THEMES = (
    ("security-dialogue", "security dialogue", None),
    ("maritime-safety", "maritime safety", "security-dialogue"),
    ("coastal-patrols", "coastal patrols", "maritime-safety"),
    ("network-resilience", "network resilience", "security-dialogue"),
    ("incident-response", "incident response", "network-resilience"),
    ("training-exchange", "training exchange", None),
    ("staff-courses", "staff courses", "training-exchange"),
    ("disaster-relief", "disaster relief", None),
    ("logistics-planning", "logistics planning", "disaster-relief"),
    ("research-cooperation", "research cooperation", None),
)


_POSTS = ("director", "envoy", "minister", "secretary", "coordinator")


@dataclass
class Summary:
    events: int
    records: int
    files: list[Path] = field(default_factory=list)
    violations: int = 0


def _q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


class _Gen:
    def __init__(self, events: int, seed: int) -> None:
        self.n = events
        self.seed = seed
        self.rnd = random.Random(seed)
        self.records: list[list[str]] = []  # each record: its YAML lines

    # --- helpers ---------------------------------------------------------------
    def name(self, parts: int = 2) -> str:
        return "".join(self.rnd.choice(_SYLLABLES) for _ in range(parts)).capitalize()

    def date(self, year_from: int = 1995, year_to: int = 2024) -> str:
        r = self.rnd.random()
        y = self.rnd.randint(year_from, year_to)
        if r < 0.1:
            return f"{y}"
        if r < 0.25:
            return f"{y}-{self.rnd.randint(1, 12):02d}"
        return f"{y}-{self.rnd.randint(1, 12):02d}-{self.rnd.randint(1, 28):02d}"

    def cite(self, src: str, locator: str, quote: str, indent: str = "    ") -> list[str]:
        return [
            f"{indent}- source: {src}",
            f"{indent}  locator: {_q(locator)}",
            f"{indent}  quote: {_q(quote)}",
        ]

    def cited_themes(self, themes: list[str], src: str, locator: str) -> list[str]:
        """A theme field whose every tag cites the words that give it
        (kgsh:CitedThemeShape)."""
        lines = ["  theme:"]
        for theme in themes:
            words = theme[8:].replace("-", " ")
            lines += [f"    - value: {theme}", "      sources:"]
            lines += self.cite(src, locator, f"They spoke of {words}.", "        ")
        return lines

    def sources(self, src: str, locator: str, quote: str) -> list[str]:
        return ["  sources:", *self.cite(src, locator, quote)]

    def add(self, lines: list[str]) -> None:
        self.records.append(lines)

    # --- the pools, in a fixed order (each draws from the one random stream) ------
    def build(self, violations: int) -> int:
        if violations > self.n:
            raise UsageError(f"--violations {violations} needs at least {violations} events")
        self.add_sources()
        self.add_themes()
        self.add_states()
        self.add_places()
        self.add_organisations()
        self.add_posts()
        self.add_people_and_roles()
        return self.add_events(violations)

    def src(self, i: int) -> str:
        return self.sources_ids[i % len(self.sources_ids)]

    def add_sources(self) -> None:
        self.sources_ids = [f"g-src-{i}" for i in range(max(2, self.n // 20))]
        for i, sid in enumerate(self.sources_ids):
            primary = i % 3 != 2
            year = 1995 + i % 30
            self.add([
                f"- id: {sid}",
                "  type: source",
                f"  key: {_q(f'G{i:05d}')}",
                f"  title: {{en: {_q(f'Bulletin {i} of the {self.name()} Review')}}}",
                f"  address: https://example.org/bulletins/{i}",
                f"  publisherName: {_q(f'{self.name()} Review')}",
                f'  published: "{year}-{1 + i % 12:02d}-{1 + i % 28:02d}"',
                f"  reliability: {'primary' if primary else 'secondary'}",
                "  language: en",
            ])  # fmt: skip

    def add_themes(self) -> None:
        for tid, label, broader in _THEMES:
            lines = [f"- id: theme-g-{tid}", "  type: theme", f"  label: {{en: {_q(label)}}}"]
            if broader:
                lines.append(f"  broader: [theme-g-{broader}]")
            lines += self.sources(self.sources_ids[0], "T0", f"Themes covered include {label}.")
            self.add(lines)
        self.themes = [f"theme-g-{t[0]}" for t in _THEMES]

    def add_states(self) -> None:
        self.states = ["g-state-0", "g-state-1"]
        for i, sid in enumerate(self.states):
            label = f"Republic of {self.name(3)}"
            self.add([
                f"- id: {sid}",
                "  type: state",
                f"  label: {{en: {_q(label)}}}",
                *self.sources(self.src(i), "P1", f"{label} took part."),
            ])  # fmt: skip

    def add_places(self) -> None:
        self.places = [f"g-place-{i}" for i in range(max(3, self.n // 25))]
        for i, pid in enumerate(self.places):
            label = f"{self.name()} City"
            lines = [
                f"- id: {pid}",
                "  type: place",
                f"  label: {{en: {_q(label)}, fr: {_q('Ville de ' + label[:-5])}}}",
                f"  country: {self.states[i % 2]}",
            ]
            lines += self.sources(self.src(i), f"P{i}", f"The meeting was held in {label}.")
            self.add(lines)

    def add_organisations(self) -> None:
        self.orgs = [f"g-org-{i}" for i in range(max(4, self.n // 10))]
        for i, oid in enumerate(self.orgs):
            kind = "ministry" if i % 4 == 0 else ("division" if i % 4 else "organization")
            label = f"{self.name()} {kind.capitalize()}"
            lines = [
                f"- id: {oid}",
                f"  type: {kind}",
                f"  label: {{en: {_q(label)}}}",
                f"  acronym: {{en: {_q(label[:3].upper())}}}",
                f"  basedIn: [{self.places[i % len(self.places)]}]",
            ]
            if i >= 4:
                lines.append(f"  subOrganizationOf: [{self.orgs[self.rnd.randrange(i // 2, i)]}]")
            else:
                lines.append(f"  country: {self.states[i % 2]}")
            lines += self.sources(self.src(i), f"O{i}", f"{label} is based in the capital.")
            self.add(lines)

    def add_posts(self) -> None:
        # Two holders per post, one after the other (a post has one holder at a time).
        self.people = [f"g-person-{i}" for i in range(max(4, self.n // 3))]
        self.posts = [f"g-post-{i}" for i in range((len(self.people) + 1) // 2)]
        for i, pid in enumerate(self.posts):
            title = _POSTS[i % len(_POSTS)]
            self.add([
                f"- id: {pid}",
                "  type: post",
                f"  label: {{en: {_q(f'{title.capitalize()} of office {i}')}}}",
                f"  organization: {self.orgs[i % len(self.orgs)]}",
                *self.sources(self.src(i), f"R{i}", f"The post of {title}."),
            ])  # fmt: skip

    def add_people_and_roles(self) -> None:
        self.roles: list[str] = []
        for i, pid in enumerate(self.people):
            given, family = self.name(2), self.name(3)
            self.add(self.person(i, pid, given, family))
            self.add(self.role(i, pid, given, family))

    def person(self, i: int, pid: str, given: str, family: str) -> list[str]:
        lines = [
            f"- id: {pid}",
            "  type: person",
            f"  label: {{en: {_q(f'{given} {family}')}}}",
            f"  givenName: {{en: {_q(given)}}}",
            f"  familyName: {{en: {_q(family)}}}",
            f"  nationality: [{self.states[i % 2]}]",
        ]
        src = self.src(i)
        lines += self.sources(src, f"N{i}", f"{given} {family} attended.")
        if i % 50 == 7:
            lines += [
                "  corrections:",
                "    - field: label",
                f"      printed: {_q(f'{given} {family}x')}",
                f"      corrected: {_q(f'{given} {family}')}",
                f"      source: {src}",
                "      note: {en: \"The bulletin misspells the family name.\"}",
            ]  # fmt: skip
        return lines

    def role(self, i: int, pid: str, given: str, family: str) -> list[str]:
        rid = f"g-role-{i}"
        self.roles.append(rid)
        post = _POSTS[(i // 2) % len(_POSTS)]
        # The first holder of a post serves from `first` to `first + 2`, the second
        # from `first + 3` on.
        first = 1995 + (i // 2) % 20
        start, end = (first, first + 2) if i % 2 == 0 else (first + 3, first + 5)
        return [
            f"- id: {rid}",
            "  type: role",
            f"  label: {{en: {_q(f'{given} {family} as {post}')}}}",
            f"  holder: {pid}",
            f"  post: {self.posts[i // 2]}",
            f"  organization: {self.orgs[(i // 2) % len(self.orgs)]}",
            f"  title: {{en: {_q(post.capitalize())}}}",
            f'  start: "{start}-{1 + i % 12:02d}"',
            f'  end: "{end}"',
            *self.sources(self.src(i), f"N{i}", f"{given} {family}, {post}."),
        ]  # fmt: skip

    # --- events and what hangs off them -----------------------------------------------
    def add_events(self, violations: int) -> int:
        picks = random.Random(self.seed + 1).sample(range(self.n), violations)
        bad_dates, bad_labels = set(picks[0::2]), set(picks[1::2])
        with bar("generate: events", self.n) as made:
            for i in range(self.n):
                self.event(i, i in bad_dates, i in bad_labels)
                made.advance()
        return len(bad_dates) + len(bad_labels)

    def event(self, i: int, bad_date: bool, bad_label: bool) -> None:
        rnd = self.rnd
        e = _Event(
            i=i,
            id=f"g-event-{i}",
            type=_EVENT_TYPES[i % len(_EVENT_TYPES)],
            place=self.places[rnd.randrange(len(self.places))],
            people=rnd.sample(self.people, 2),
            org=self.orgs[rnd.randrange(len(self.orgs))],
            themes=sorted(rnd.sample(self.themes, 2)),
            year=rnd.randint(1995, 2024),
            src=self.src(i),
        )
        e.start = f"{e.year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        theme_words = e.themes[0][8:].replace("-", " ")
        e.label = f"{e.type.replace('-', ' ').capitalize()} on {theme_words} ({i})"
        self.add(self.event_record(e, bad_date, bad_label))
        if i % 2 == 0:
            self.add(self.statement(e))
        if i % 10 == 1:
            self.add(self.declaration(e))
        if i % 10 == 6:
            self.add(self.interest(e))

    def event_record(self, e: _Event, bad_date: bool, bad_label: bool) -> list[str]:
        i, src = e.i, e.src
        lang = "de" if bad_label else "fr"
        lines = [
            f"- id: {e.id}",
            f"  type: {e.type}",
            f"  label: {{en: {_q(e.label)}, {lang}: {_q(e.label + ' (fr)')}}}",
        ]
        if i % 7 == 3:
            lines += [
                "  start:",
                f'    value: "{e.start}"',
                "    qualifier: [derived]",
                "    note: {en: \"Worked out from the weekday the bulletin gives.\"}",
                "    sources:",
                *self.cite(src, f"E{i}", "on the following Tuesday", "      "),
            ]  # fmt: skip
        else:
            lines.append(f'  start: "{e.start}"')
        if bad_date:
            lines.append(f'  end: "{e.year - 1}"')
        elif i % 4 == 0:
            lines.append(f'  end: "{e.year}"')
        lines += [
            f"  place: [{e.place}]",
            f"  organizer: [{e.org}]",
            f"  participant: [{e.people[0]}, {e.people[1]}, {e.org}]",
            *self.cited_themes(e.themes, src, f"E{i}"),
        ]
        if i % 5 == 2:
            lines += [
                "  attendance:",
                f'    value: "{20 + i % 200}"',
                "    qualifier: [approximate]",
                "    note: {en: \"The bulletin says 'some' people attended.\"}",
                "    sources:",
                *self.cite(src, f"E{i}", f"some {20 + i % 200} officials attended", "      "),
            ]  # fmt: skip
        if i % 6 == 5:
            lines.append(f"  subEventOf: g-event-{i - 1 - self.rnd.randrange(min(i, 20))}")
        lines += ["  sources:", *self.cite(src, f"E{i}", f"{e.label} took place in the capital.")]
        if i % 3 == 0:
            lines += self.cite(self.src(i + 1), f"E{i}b", "A second account of the same event.")
        return lines

    def statement(self, e: _Event) -> list[str]:
        k = self.people.index(e.people[0])
        return [
            f"- id: g-statement-{e.i}",
            "  type: statement",
            f"  label: {{en: {_q(f'Remarks at event {e.i}')}}}",
            f"  speaker: {e.people[0]}",
            f"  speakerRole: {self.roles[k]}",
            f"  text: {{en: {_q(f'We will deepen our work on {e.themes[0][8:]} together.')}}}",
            f"  saidAt: {e.id}",
            f'  date: "{e.start}"',
            # A statement's theme cites the words that give it (kgsh:CitedThemeShape).
            "  theme:",
            f"    - value: {e.themes[0]}",
            "      sources:",
            *self.cite(e.src, f"E{e.i}", f"our work on {e.themes[0][8:]}", "        "),
            *self.sources(e.src, f"E{e.i}", "We will deepen our work together, she said."),
        ]  # fmt: skip

    def declaration(self, e: _Event) -> list[str]:
        return [
            f"- id: g-declaration-{e.i}",
            "  type: declaration",
            f"  title: {{en: {_q(f'Joint declaration {e.i}')}}}",
            f'  signedOn: "{e.start}"',
            f"  signedAt: {e.place}",
            f"  signatory: [{e.people[0]}, {e.people[1]}]",
            f"  party: [{self.states[0]}, {self.states[1]}]",
            *self.cited_themes(e.themes, e.src, f"D{e.i}"),
            *self.sources(e.src, f"D{e.i}", "The two sides signed a joint declaration."),
        ]  # fmt: skip

    def interest(self, e: _Event) -> list[str]:
        return [
            f"- id: g-interest-{e.i}",
            "  type: interest",
            f"  label: {{en: {_q(f'Interest in {e.themes[1][8:]}')}}}",
            "  kind: stated",
            f"  holder: [{e.org}]",
            *self.cited_themes([e.themes[1]], e.src, f"I{e.i}"),
            f"  expressedAt: {e.id}",
            *self.sources(e.src, f"I{e.i}", "Both sides expressed interest."),
        ]  # fmt: skip


@dataclass
class _Event:
    """One generated event's draws, which its records share."""

    i: int
    id: str
    type: str
    place: str
    people: list[str]
    org: str
    themes: list[str]
    year: int
    src: str
    start: str = ""
    label: str = ""


def generate_records(out_dir: Path, events: int, seed: int = 0, violations: int = 0) -> Summary:
    """Write synthetic records for ``events`` events into ``out_dir`` (YAML files).

    Existing ``generated-*.yaml`` files in ``out_dir`` are replaced. As ``kg build``,
    it holds ``out_dir``'s lock while writing (:class:`kg.errors.FolderBusy`
    if another kg process does) and first clears what a killed run left.
    """
    if events < 1:
        raise UsageError("--events must be at least 1")
    if violations < 0:
        raise UsageError("--violations must not be negative")

    gen = _Gen(events, seed)
    injected = gen.build(violations)
    summary = Summary(events, len(gen.records), violations=injected)
    header = (
        f"# Synthetic kg records: kg generate --events {events} --seed {seed}"
        f" --violations {violations}\n# Invented names and sources; not facts.\n"
    )
    # All files staged, then put in place together with the old set's removal:
    # a failed run leaves the previous records as they were. The lock keeps
    # another run from writing its set in between; every generated-*.yaml is
    # this command's (it removes those it does not write).
    with output_folder(out_dir, r"generated-.*\.yaml"), Staged() as staged:
        for start in range(0, len(gen.records), RECORDS_PER_FILE):
            chunk = gen.records[start : start + RECORDS_PER_FILE]
            text = header + "\n".join("\n".join(r) + "\n" for r in chunk)
            path = out_dir / f"generated-{start // RECORDS_PER_FILE:05d}.yaml"
            staged.file(path, text.encode("utf-8"))
            summary.files.append(path)
        for old in sorted(set(out_dir.glob("generated-*.yaml")) - set(summary.files)):
            staged.remove(old)
        staged.commit()
    return summary
