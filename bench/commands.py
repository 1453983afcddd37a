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
* ``query NAME`` (table): the first page (50 rows) | every row converted to
  rdflib terms and rendered as a table;
* ``query NAME --format csv``: Oxigraph's writer, streamed | rows converted to
  rdflib terms and written by kg's CSV renderer (both ``--max-rows 0``);
* ``serve``: until the endpoint answers a query | the data exported as
  N-Triples and loaded into a new database (``_persisted`` switched off).

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
from kg.sparql.canned import bind_params, get_query
from kg.sparql.render import _render_csv, _render_table
from kg.sparql.run import run_query
q = get_query(sys.argv[2])
with limits(max_rows=0, timeout=3600):
    res = run_query(open_native(Path(sys.argv[1])), q.text, bind_params(q, {}))
text = (_render_table if sys.argv[3] == "table" else _render_csv)(res)
Path(sys.argv[4]).write_text(text, encoding="utf-8", newline="")
"""

SERVE = """
import sys, time, requests
from pathlib import Path
import kg.serve.endpoint as endpoint
if sys.argv[2] == "old":
    endpoint._persisted = lambda *a: None
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


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MB of one process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        t = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=TIMEOUT,
        )
        wall = time.perf_counter() - t
        peak_kb = int(stats.read().split()[-1])
    return wall, peak_kb / 1024


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


def rows_of(ttl: Path) -> dict[str, int]:
    from kg.pipeline.open import open_native
    from kg.sparql.canned import bind_params, get_query
    from kg.sparql.door import prepare

    native = open_native(ttl)
    out = {}
    for name in QUERIES:
        q = get_query(name)
        out[name] = sum(1 for _ in native.select(prepare(q.text, bind_params(q, {})).text))
    return out


def measure(ttl: Path, tmp: Path, only: str) -> dict[str, tuple[float, float]]:
    kg, py = kg_bin(), sys.executable
    g = str(ttl)
    jobs: dict[str, list[str]] = {
        "describe": [kg, "describe", "g-event-100", "--graph", g],
        "describe (old)": [py, "-c", OLD_DESCRIBE, g, "g-event-100"],
        "serve": [py, "-c", SERVE, g, "new"],
        "serve (old)": [py, "-c", SERVE, g, "old"],
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
        jobs[f"{name} table (old)"] = [py, "-c", OLD_QUERY, g, name, "table", str(tmp / "o.txt")]
        jobs[f"{name} csv"] = [kg, "query", name, "--graph", g, "--max-rows", "0", "--timeout",
                               "3600", "-o", str(tmp / "n.csv")]  # fmt: skip
        jobs[f"{name} csv (old)"] = [py, "-c", OLD_QUERY, g, name, "csv", str(tmp / "o.csv")]
    for fmt in EXPORTS:
        out_file = str(tmp / f"x.{fmt}")
        args = ["export", "--graph", g, "--reason", "--format", fmt, "-o", out_file]
        jobs[f"export {fmt}"] = [kg, *args]
        jobs[f"export {fmt} (old)"] = [py, "-c", OLD_PATH, *args]
    out = {}
    if re.search(only, "push"):
        out.update(measure_push(ttl, tmp))
    for label, args in jobs.items():
        if not re.search(only, label):
            continue
        out[label] = timed(args)
        print(f"  {label}: {out[label][0]:.2f} s, {out[label][1]:.0f} MB", flush=True)
    return out


def measure_push(ttl: Path, tmp: Path) -> dict[str, tuple[float, float]]:
    """``kg push --reason`` of the build (atomic: staging graph, count, MOVE) to
    a fresh Oxigraph server, the new path and the old, each into an empty
    graph; then a bare Graph Store PUT (no kg) of the N-Triples kg sent."""
    sys.path.insert(0, str(HERE))
    from push import start_oxigraph  # bench/push.py

    from kg.pipeline.stored import open_stored, write_ntriples

    folder = Path(tempfile.mkdtemp(dir=tmp))
    proc, base = start_oxigraph(folder)
    kg, py = kg_bin(), sys.executable
    out: dict[str, tuple[float, float]] = {}
    try:
        push = [
            "push",
            g := str(ttl),
            "--reason",
            "--endpoint",
            f"{base}/store",
            "--timeout",
            "3600",
        ]
        out["push"] = timed([kg, *push, "--graph", "http://bench/new"])
        print(f"  push: {out['push'][0]:.2f} s, {out['push'][1]:.0f} MB", flush=True)
        out["push (old)"] = timed([py, "-c", OLD_PATH, *push, "--graph", "http://bench/old"])
        print(f"  push (old): {out['push (old)'][0]:.2f} s", flush=True)
        stored = open_stored(Path(g), reason=True)
        assert stored is not None
        nt = folder / "sent.nt"
        with nt.open("wb") as fh:
            write_ntriples(stored, fh, with_ontology=True)
        del stored
        url = f"{base}/store?graph=http://bench/bare"
        bare = timed([py, "-c", BARE_PUT, str(nt), url])
        out["push: bare PUT"] = out["push: bare PUT (old)"] = bare
        print(f"  bare PUT: {bare[0]:.2f} s", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return out


def table(sizes: list[int], triples: dict[int, int], res: dict[int, dict], rows: dict) -> str:
    small, large = sizes[0], sizes[-1]
    head = "| command | " + " | ".join(f"{triples[n]:,} triples" for n in sizes)
    head += f" | {large}/{small} | new vs old at {triples[large]:,} |\n"
    head += "| --- |" + " ---: |" * (len(sizes) + 2) + "\n"
    lines = []
    labels = [k for k in res[small] if not k.endswith("(old)")]
    for label in labels:
        cells = []
        for n in sizes:
            t, m = res[n][label]
            ot, om = res[n][f"{label} (old)"]
            cells.append(f"{t:.2f} s, {m:.0f} MB (old {ot:.2f} s, {om:.0f} MB)")
        ratio = res[large][label][0] / res[small][label][0]
        speed = res[large][f"{label} (old)"][0] / res[large][label][0]
        name = label
        q = label.split()[0]
        if q in rows[large]:
            name += f" ({rows[large][q]:,} rows at {triples[large]:,})"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.1f}× | {speed:.1f}× |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="+", default=[220, 2200, 22000])
    ap.add_argument("--only", default="", help="run the commands whose label matches (a regex)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-cmds")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results, triples, rows = {}, {}, {}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.events:
            ttl = build(args.work, n)
            from kg.store.persist import open_persisted

            native = open_persisted(ttl, reason=True)
            assert native is not None
            triples[n] = len(native)
            rows[n] = rows_of(ttl)
            print(f"{n} events: {triples[n]:,} triples (with inferred and ontology)", flush=True)
            load.append(os.getloadavg()[0])
            results[n] = measure(ttl, Path(tmp), args.only)
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
        "serve: to the first answer) and peak memory (`/usr/bin/time`), new path then "
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
