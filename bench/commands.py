"""Benchmark: the read commands on a kg build, each beside the path it replaces.

    python bench/commands.py                  # ~10k, ~100k, ~1M triples
    python bench/commands.py --events 220 2200

For each size, records are made with ``kg generate --events N --seed 3`` and
built with ``kg build --reason`` (kept in ``--work``, reused when there).
Then every command runs end to end in its own process (wall time and peak
memory by ``/usr/bin/time``), beside its baseline, the previous path, still
callable in this checkout:

* ``describe``: ``kg describe g-event-100 --graph kg.ttl`` (the store, by
  index) | the whole graph read into rdflib, :func:`kg.views.describe.describe_thing`;
* ``query NAME`` (table): the first page (50 rows) | the query's text at
  ``--old-rev`` (before its rewrite for speed), every row converted to rdflib
  terms and rendered as a table;
* ``query NAME --format csv``: Oxigraph's writer, streamed | that text, rows
  converted to rdflib terms and written by kg's CSV renderer (both ``--max-rows 0``);
* ``serve``: until the endpoint answers a query, the triple count read from
  the build's stamp | the triples counted by a COUNT over the store's graphs
  (the stamp's count ignored, as before it had one);
* ``push``: ``kg push kg.ttl`` (atomic) into a fresh Oxigraph server, into an
  empty graph then again over it | a bare Graph Store PUT of the same
  N-Triples (no kg), so the ratio is kg push's share of its throughput;
* ``report``: ``kg report --graph kg.ttl -o DIR`` (the store, by index, pages
  written as rendered) | the whole graph read into rdflib, validated by pySHACL,
  queries on rdflib's SPARQL (:func:`kg.views.report.stored.store_inputs` switched
  off); a run over ``REPORT_TIMEOUT`` is shown as such.
* ``diff``: ``kg diff`` of the build and a build of a copy of its records with
  a few edited (:func:`diff_jobs`), by the two builds' kg.ttl blocks and stores
  | both sides read as N-Triples lines and indexed (``open_build`` switched off).

Results go to bench/RESULTS.md between the ``bench/commands.py`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
BEGIN = "<!-- bench/commands.py{}: begin -->"
END = "<!-- bench/commands.py{}: end -->"
QUERIES = [
    "meetings",
    "timeline",
    "events-by-theme",
    "statements",
    "secondary-only",
    "roles-at-date",
]
TIMEOUT = 600
EXPORTS = ["nt", "turtle"]
OLD_REV = "baa84c7"  # main before the canned queries' rewrites for speed (issue 21)
REPORT_TIMEOUT = 3600  # the rdflib path of kg report took 24 min at 100k under load

OLD_DESCRIBE = """
import sys
from pathlib import Path
from kg.pipeline.open import open_graph
from kg.views.describe import describe_thing
from kg.views.text import render_text
g = open_graph(Path(sys.argv[1]), with_ontology=False)
sys.stdout.write(render_text(describe_thing(g, sys.argv[2])))
"""

OLD_QUERY = """
import sys
from pathlib import Path
from kg.pipeline.open import open_native
from kg.sandbox.limits import limits
from kg.sparql.canned import bind_params, parse_query_file
from kg.sparql.render import _render_csv, _render_table
from kg.sparql.run import run_query
q = parse_query_file(Path(sys.argv[5]))  # the query's text at --old-rev
with limits(max_rows=0, timeout=3600):
    res = run_query(open_native(Path(sys.argv[1])), q.text, bind_params(q, {}))
text = (_render_table if sys.argv[3] == "table" else _render_csv)(res)
Path(sys.argv[4]).write_text(text, encoding="utf-8", newline="")
"""

OLD_REPORT = """
import sys
from pathlib import Path
import kg.views.report.site as site
site.store_inputs = lambda *a: None
site.generate(Path(sys.argv[2]), Path(sys.argv[1]))
"""

SERVE = """
import sys, time, requests
from pathlib import Path
import kg.serve.endpoint as endpoint
import kg.store.persist as persist
if sys.argv[2] == "old":  # counted, as before the stamp had the count
    persist.stamp_triples = lambda *a: None
t = time.perf_counter()
with endpoint.serve(Path(sys.argv[1]), port=0, reason=True) as ep:
    r = requests.get(ep.query_url, params={"query": "ASK { ?s a ?c }"},
                     headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is True
    print(f"answering after {time.perf_counter() - t:.2f} s, {ep.triples} triples")
"""


# push and export by the path before the build's store was read: kg push's and
# kg export's code with kg.pipeline.stored switched off.
OLD_PATH = """
import sys
import kg.pipeline.export, kg.remote.push
from kg.cli import main
kg.pipeline.export.open_stored = kg.remote.push.open_stored = lambda *a, **k: None
sys.argv = ["kg", *sys.argv[1:]]
main()
"""

BARE_PUT = """
import sys, time, requests
with open(sys.argv[1], "rb") as fh:
    r = requests.put(sys.argv[2], data=fh, headers={"Content-Type": "application/n-triples"})
r.raise_for_status()
"""


def kg_bin() -> str:
    return str(Path(sys.executable).parent / "kg")


def timed(args: list[str], timeout: float = TIMEOUT) -> tuple[float, float, float]:
    """Wall seconds, peak MB and CPU seconds (user + system) of one process: on a
    machine shared with other work the CPU time moves far less than the wall time.
    (inf, nan, nan) past ``timeout``; (nan, nan, nan) when it fails (the rdflib path
    of kg report at 100k triples stops at a canned query's 30 s limit when loaded)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        t = time.perf_counter()
        try:
            subprocess.run(
                ["/usr/bin/time", "-f", "%M %U %S", "-o", stats.name, *args],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return float("inf"), float("nan"), float("nan")
        except subprocess.CalledProcessError:
            return float("nan"), float("nan"), float("nan")
        wall = time.perf_counter() - t
        peak_kb, user, system = stats.read().split()[-3:]
    return wall, int(peak_kb) / 1024, float(user) + float(system)


def build(work: Path, events: int) -> Path:
    out = work / f"b{events}"
    if not (out / "kg.oxigraph").is_dir():
        records = work / f"g{events}"
        kg = kg_bin()
        subprocess.run([kg, "generate", "--events", str(events), "--seed", "3", "-o", str(records)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([kg, "build", str(records), "--reason", "-o", str(out)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return out / "kg.ttl"


def rows_of(ttl: Path, only: str) -> dict[str, int]:
    from kg.pipeline.open import open_native
    from kg.sparql.canned import bind_params, get_query
    from kg.sparql.door import prepare

    native = open_native(ttl)
    out = {}
    for name in QUERIES:
        if not re.search(only, f"{name} table") and not re.search(only, f"{name} csv"):
            continue  # not measured: not counted either (meetings takes seconds at 1M)
        q = get_query(name)
        out[name] = sum(1 for _ in native.select(prepare(q.text, bind_params(q, {})).text))
    return out


def old_texts(rev: str, tmp: Path) -> dict[str, Path]:
    """Each query's file at ``rev``, for the path it replaced."""
    folder = tmp / "old"
    folder.mkdir(exist_ok=True)
    out = {}
    for name in QUERIES:
        text = subprocess.run(["git", "-C", str(HERE.parent), "show", f"{rev}:queries/{name}.rq"],
                              check=True, capture_output=True, text=True).stdout  # fmt: skip
        out[name] = folder / f"{name}.rq"
        out[name].write_text(text, encoding="utf-8")
    return out


DIFF = """
import sys
import kg.views.diff.stored as stored
from kg.cli import main
if sys.argv[1] == "old":  # both sides as lines, as before the stores were read
    stored.open_build = lambda arg: None
sys.argv = ["kg", "diff", *sys.argv[2:]]
try:
    main()
except SystemExit as e:  # 1: the builds differ, as they do here
    sys.exit(0 if e.code in (0, 1) else e.code)
"""


def diff_jobs(ttl: Path, out: Path) -> dict[str, list[str]]:
    """``kg diff`` of the build of ``ttl`` and of a copy of its records with a
    label, a citation's locator and a start date edited (built once, beside it)."""
    import shutil

    build = ttl.parent
    edited = build.with_name(build.name + "-edited")
    if not (edited / "kg.oxigraph").is_dir():
        records = build.with_name("g" + build.name[1:])
        copy = records.with_name(records.name + "-edited")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(records, copy)
        for f in sorted(copy.glob("*.yaml")):
            text = f.read_text(encoding="utf-8").replace("(100)", "(100, revised)")
            text = re.sub(r'(- id: g-event-300\n(?:  .*\n)*?  start: ")(\d{4})-\d\d-\d\d"',
                          r'\g<1>\2"', text.replace('"E200"', '"E200-b"'))  # fmt: skip
            f.write_text(text, encoding="utf-8")
        subprocess.run([kg_bin(), "build", str(copy), "--reason", "-o", str(edited)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    args = [str(build), str(edited), "-o", str(out)]
    py = sys.executable
    return {"diff": [py, "-c", DIFF, "new", *args], "diff (old)": [py, "-c", DIFF, "old", *args]}


def measure(
    ttl: Path, tmp: Path, only: str, old: dict[str, Path]
) -> dict[str, tuple[float, float, float]]:
    kg, py = kg_bin(), sys.executable
    g = str(ttl)
    jobs: dict[str, list[str]] = {
        "describe": [kg, "describe", "g-event-100", "--graph", g],
        "describe (old)": [py, "-c", OLD_DESCRIBE, g, "g-event-100"],
        "serve": [py, "-c", SERVE, g, "new"],
        "serve (old)": [py, "-c", SERVE, g, "old"],
        "report": [kg, "report", "--graph", g, "-o", str(tmp / "site")],
        "report (old)": [py, "-c", OLD_REPORT, g, str(tmp / "site-old")],
    }
    for name in QUERIES:
        jobs[f"{name} table"] = [
            kg,
            "query",
            name,
            "--graph",
            g,
            "--max-rows",
            "0",
            "--timeout",
            "3600",
        ]
        jobs[f"{name} table (old)"] = [py, "-c", OLD_QUERY, g, name, "table", str(tmp / "o.txt"),
                                       str(old[name])]  # fmt: skip
        jobs[f"{name} csv"] = [kg, "query", name, "--graph", g, "--max-rows", "0", "--timeout",
                               "3600", "-o", str(tmp / "n.csv")]  # fmt: skip
        jobs[f"{name} csv (old)"] = [py, "-c", OLD_QUERY, g, name, "csv", str(tmp / "o.csv"),
                                     str(old[name])]  # fmt: skip
    for fmt in EXPORTS:
        out_file = str(tmp / f"x.{fmt}")
        args = ["export", "--graph", g, "--reason", "--format", fmt, "-o", out_file]
        jobs[f"export {fmt}"] = [kg, *args]
        jobs[f"export {fmt} (old)"] = [py, "-c", OLD_PATH, *args]
    if re.search(only, "diff"):
        jobs.update(diff_jobs(ttl, tmp / "diff.txt"))
    out = {}
    if re.search(only, "push"):
        out.update(measure_push(ttl, tmp))
    for label, args in jobs.items():
        if not re.search(only, label):
            continue
        out[label] = timed(args, REPORT_TIMEOUT if label.startswith("report") else TIMEOUT)
        print(f"  {label}: {_cell(*out[label])}", flush=True)
    return out


def _cell(t: float, m: float, c: float) -> str:
    if t != t:  # nan
        return "failed"
    if t == float("inf"):
        return f"over {REPORT_TIMEOUT} s"
    return f"{t:.2f} s, CPU {c:.2f} s, {m:.0f} MB"


def measure_push(ttl: Path, tmp: Path) -> dict[str, tuple[float, float, float]]:
    """``kg push`` of the build (atomic, the route kg.remote.capabilities picks:
    one transactional PUT on Oxigraph 0.5.10 and later) to a fresh Oxigraph
    server, and a bare Graph Store PUT (no kg: ``requests.put``) of the same
    N-Triples as its baseline ("old"), interleaved: into empty graphs, then
    each again over the graph it wrote (a re-push). Same triples, so old/new
    is kg push's share of the bare PUT's throughput."""
    sys.path.insert(0, str(HERE))
    from push import start_oxigraph  # bench/push.py

    from kg.pipeline.stored import open_stored, write_ntriples

    folder = Path(tempfile.mkdtemp(dir=tmp))
    nt = folder / "sent.nt"
    stored = open_stored(ttl, reason=False)
    assert stored is not None
    with nt.open("wb") as fh:
        n = write_ntriples(stored, fh, with_ontology=True)
    del stored
    proc, base = start_oxigraph(folder)
    kg, py = kg_bin(), sys.executable
    push = ["push", str(ttl), "--endpoint", f"{base}/store", "--timeout", "3600"]
    out: dict[str, tuple[float, float, float]] = {}
    try:
        for label in ("push", "push again (replace)"):
            out[label] = timed([kg, *push, "--graph", "http://bench/kg"], 3 * TIMEOUT)
            bare = [py, "-c", BARE_PUT, str(nt), f"{base}/store?graph=http://bench/bare"]
            out[f"{label} (old)"] = timed(bare, 3 * TIMEOUT)
            new, old = out[label][0], out[f"{label} (old)"][0]
            print(f"  {label}: {n:,} triples, kg push {_cell(*out[label])}; bare PUT "
                  f"{old:.2f} s: {old / new:.0%} of its throughput", flush=True)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return out


def table(sizes: list[int], triples: dict[int, int], res: dict[int, dict], rows: dict) -> str:
    small, large = sizes[0], sizes[-1]
    head = "| command | " + " | ".join(f"{triples[n]:,} triples" for n in sizes)
    head += f" | {large}/{small} (CPU) | new vs old at {triples[large]:,} (CPU) |\n"
    head += "| --- |" + " ---: |" * (len(sizes) + 2) + "\n"
    lines = []
    labels = [k for k in res[small] if not k.endswith("(old)")]
    for label in labels:
        cells = []
        for n in sizes:
            old_run = res[n].get(f"{label} (old)")
            cells.append(_cell(*res[n][label]) + (f" (old {_cell(*old_run)})" if old_run else ""))
        new = res[large][label]
        old = res[large].get(f"{label} (old)", (float("nan"),) * 3)
        ratio = f"{new[0] / res[small][label][0]:.1f}× ({new[2] / res[small][label][2]:.1f}×)"
        # nan (no old run, or it failed) shows as such: no ratio is made up
        if old[0] != old[0]:
            speed = "–"
        elif old[0] == float("inf"):  # the old path was stopped: a lower bound
            speed = f"> {REPORT_TIMEOUT / new[0]:.1f}×"
        else:
            speed = f"{old[0] / new[0]:.1f}× ({old[2] / new[2]:.1f}×)"
        name = label
        q = label.split()[0]
        if q in rows[large]:
            name += f" ({rows[large][q]:,} rows at {triples[large]:,})"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} | {speed} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="+", default=[130, 1300, 13100])
    ap.add_argument("--only", default="", help="run the commands whose label matches (a regex)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-cmds")
    ap.add_argument("--old-rev", default=OLD_REV, help="the queries' text the old path runs")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results, triples, rows = {}, {}, {}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = []
    with tempfile.TemporaryDirectory() as tmp:
        old = old_texts(args.old_rev, Path(tmp))
        for n in args.events:
            ttl = build(args.work, n)
            from kg.store.persist import open_persisted

            native = open_persisted(ttl, reason=True)
            assert native is not None
            triples[n] = len(native)
            rows[n] = rows_of(ttl, args.only)
            print(f"{n} events: {triples[n]:,} triples (with inferred and ontology)", flush=True)
            load.append(os.getloadavg()[0])
            results[n] = measure(ttl, Path(tmp), args.only, old)
    write(args, started, load, table(args.events, triples, results, rows))


def write(args: argparse.Namespace, started: str, load: list[float], body: str) -> None:
    # One section per --only, so runs of parts of the commands stand side by side.
    tag = f" --only '{args.only}'" if args.only else ""
    begin, end = BEGIN.format(tag), END.format(tag)
    ev = " ".join(str(n) for n in args.events) + (f" --only '{args.only}'" if args.only else "")
    text = (
        f"{begin}\n## Read commands on a kg build\n\n"
        f"`python bench/commands.py --events {ev}`, run {started} on {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; the machine was shared with other work (load "
        f"average {min(load):.1f}–{max(load):.1f} at the sizes' starts), so the ratios within "
        "the run are what counts. Each cell: wall time end to end (process start to exit; "
        "serve: to the first answer), CPU time (user + system) and peak memory "
        "(`/usr/bin/time`), new path then "
        "the path it replaces (old). Records: `kg generate --events N --seed 3`, built with "
        "`kg build --reason`.\n\n" + body + end + "\n"
    )
    md = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmark results\n"
    if begin in md:
        md = re.sub(
            re.escape(begin) + ".*?" + re.escape(end) + "\n", lambda _m: text, md, flags=re.S
        )
    else:
        md = md.rstrip("\n") + "\n\n" + text
    RESULTS_MD.write_text(md, encoding="utf-8")


if __name__ == "__main__":
    main()
