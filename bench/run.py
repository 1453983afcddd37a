"""Benchmark: kg's native engines against the straightforward baseline, at three sizes.

    python bench/run.py                       # ~10k, ~100k, ~1M triples (about 15 minutes)
    python bench/run.py --events 130 1300     # other sizes
    python bench/run.py --baseline-timeout 60
    python bench/run.py --full-builds 3 --events 1300 13100 --kg OLD/.venv/bin/kg

For each size, records are made with ``kg generate`` (seed 1), then two child
processes run, so each has its own peak memory (``ru_maxrss``):

* native — what ``kg build --reason`` does (load records with libyaml's parser,
  build the triples, native SHACL, native OWL RL, Turtle by Oxigraph, the
  persisted Oxigraph query store filled in a background thread; three full
  builds, each in its own process, the sizes taking turns round after round,
  each stage's median), then each
  canned query on the opened store (median of 3, in process); plus, as
  separate commands, ``kg build --full``, an incremental ``kg build`` after
  editing one record (and after undoing the edit), every canned ``kg query
  NAME --graph …/kg.ttl`` end to end and ``kg --help``;
* baseline — the straightforward use of the libraries on the same records:
  PyYAML's pure-Python composer, an rdflib Graph, pySHACL, owlrl, rdflib's
  Turtle serialiser, rdflib parsing the Turtle back (the "query store"), and
  rdflib SPARQL for each canned query (one run). Each baseline stage is capped
  by ``--baseline-timeout`` (SIGALRM): a capped stage is reported as
  "> T s (timed out)" and its ratio as a lower bound.

Results go to bench/RESULTS.md between the ``bench/run.py`` markers (other
sections of that file are kept) and to bench/results.json.

``--full-builds N`` measures only ``kg build DIR --reason --full``, N times per
size, end to end under ``/usr/bin/time`` (wall, CPU of the command and its
read-back workers, peak memory), and with ``--kg`` a second kg (another
checkout's) in turns with this one, run after run, so that both meet the same
spells of a shared machine; its section of bench/RESULTS.md is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_JSON = HERE / "results.json"
PARTIAL = HERE / "results.partial.json"
BEGIN = "<!-- bench/run.py: begin -->"
END = "<!-- bench/run.py: end -->"
FULL_BEGIN = "<!-- bench/run.py --full-builds: begin -->"
FULL_END = "<!-- bench/run.py --full-builds: end -->"
QUERY_CAP = 30.0  # seconds, for a native query's first run
BUILD_RUNS = 3  # full native builds per size, each in its own process; stage medians
STAGES = ["load records", "build graph", "validate", "reason", "export turtle", "load query store"]


class TimedOut(BaseException):  # not an Exception: library code catching those lets it through
    pass


def _alarm(signum: int, frame: object) -> None:
    raise TimedOut


def timed(fn, timeout: float | None = None):  # type: ignore[no-untyped-def]
    """(seconds, result), or (None, None) when ``timeout`` ran out."""
    if timeout:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    t = time.perf_counter()
    try:
        result = fn()
    except TimedOut:
        return None, None
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - t, result


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- children ----------------------------------------------------------------------


def child_native(records: Path, out: Path, queries_too: bool = True) -> dict:
    from kg import guard
    from kg.errors import KgError
    from kg.pipeline.build import build
    from kg.pipeline.open import open_native
    from kg.sparql.canned import bind_params, catalog
    from kg.sparql.run import _execute, run_query

    wall, result = timed(lambda: build(records, out, reason=True, full=True))
    res: dict = {"stages": dict(result.timings), "build wall": wall}
    res["triples"] = result.triples
    res["inferred"] = len(result.inferred)
    res["findings"] = result.report.counts
    if not queries_too:
        res["peak MiB"] = maxrss_mib()
        return res
    t, native = timed(lambda: open_native(out / "kg.ttl", reason=True))
    res["open store"] = t
    queries = {}
    for name, q in sorted(catalog().items()):
        bindings = bind_params(q, {})
        # A first run in a forked worker stopped at the cap (kg.sandbox.worker), then 3 in process.
        try:
            with guard.limits(timeout=QUERY_CAP, max_rows=0):
                t, r = timed(lambda q=q, b=bindings: run_query(native, q.text, b))
        except KgError:
            queries[name] = {"median": None, "rows": None}
            continue
        runs = []
        for _ in range(3):
            t, r = timed(lambda q=q, b=bindings: _execute(native, q.text, b))
            runs.append(t)
        queries[name] = {"median": statistics.median(runs), "rows": len(r.rows)}
    res["queries"] = queries
    res["peak MiB"] = maxrss_mib()
    return res


def child_baseline(records: Path, out: Path, timeout: float) -> dict:
    from rdflib import Graph

    from kg import records as recmod
    from kg.builder.graph import records_to_graph
    from kg.builder.ontology import load_ontology
    from kg.sparql.canned import bind_params, catalog
    from kg.sparql.run import _execute

    st: dict = {}
    recmod._compose_fast = lambda text: recmod._SLOW  # PyYAML's pure-Python composer
    st["load records"], recs = timed(lambda: recmod.load_records(records), timeout)
    if recs is None:
        return {"stages": st, "peak MiB": maxrss_mib()}
    built = records_to_graph(recs)
    st["build graph"], graph = timed(lambda: built.graph, timeout)
    if graph is None:
        return {"stages": st, "peak MiB": maxrss_mib()}

    def validate():  # type: ignore[no-untyped-def]
        from kg.validate.engines import validate_graph

        return validate_graph(graph, built.index, engine="reference")

    def reason():  # type: ignore[no-untyped-def]
        from kg.reason.engines import infer

        return infer(graph, engine="reference")

    st["validate"], _ = timed(validate, timeout)
    st["reason"], _ = timed(reason, timeout)
    out.mkdir(parents=True, exist_ok=True)
    ttl = out / "baseline.ttl"
    st["export turtle"], _ = timed(lambda: graph.serialize(ttl, format="turtle"), timeout)
    if ttl.exists():
        st["load query store"], _parsed = timed(lambda: Graph().parse(ttl), timeout)
    else:
        st["load query store"] = None
    qgraph = graph + load_ontology()
    queries = {}
    for name, q in sorted(catalog().items()):
        bindings = bind_params(q, {})
        t, r = timed(lambda q=q, b=bindings: _execute(qgraph, q.text, b), min(timeout / 4, 15.0))
        queries[name] = {"median": t, "rows": None if r is None else len(r.rows)}
    return {"stages": st, "queries": queries, "peak MiB": maxrss_mib()}


# --- the parent ----------------------------------------------------------------------


def run_child(args: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wall(cmd: list[str], cwd: Path | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)
    return time.perf_counter() - t


def machine() -> dict:
    import click
    import owlrl
    import pyoxigraph
    import pyshacl
    import rdflib
    import yaml

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        m = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = m.group(1) if m else ""
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "rdflib": rdflib.__version__,
            "pyoxigraph": pyoxigraph.__version__,
            "owlrl": getattr(owlrl, "__version__", "?"),
            "pyshacl": pyshacl.__version__,
            "PyYAML": yaml.__version__ + (" (libyaml)" if yaml.__with_libyaml__ else ""),
            "click": getattr(click, "__version__", "?"),
        },
    }


def fmt_s(v: float | str | None, timeout: float | None = None) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return f"> {timeout:.0f} s (timed out)" if timeout else "–"
    return f"{v:.3f} s" if v < 1 else f"{v:.1f} s"


def ratio(base: float | str | None, native: float | None, timeout: float) -> str:
    if native is None or native <= 0 or isinstance(base, str):
        return "–"
    if base is None:
        return f"> {timeout / native:.0f}×"
    return f"{base / native:.1f}×"


def render(results: list[dict], info: dict, timeout: float, command: str) -> str:
    sizes = [r["triples"] for r in results]
    head = "| stage | " + " | ".join(f"{n:,} triples: native / baseline / ratio" for n in sizes)
    lines = [
        "## Native engines against the baseline (bench/run.py)",
        "",
        f"Reproduce: `{command}` (generated records, seed 1; each size in fresh child "
        "processes; baseline stages capped at "
        f"{timeout:.0f} s, queries at {min(timeout / 4, 15.0):.0f} s).",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}; "
        f"Python {info['python']}; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + ".",
        "",
        head + " |",
        "|---|" + "---|" * len(sizes),
    ]

    def row(label: str, nat: list, base: list, cap: float | list = timeout) -> None:
        cells = []
        caps = cap if isinstance(cap, list) else [cap] * len(nat)
        for n, b, c in zip(nat, base, caps, strict=True):
            cells.append(f"{fmt_s(n, QUERY_CAP)} / {fmt_s(b, c)} / {ratio(b, n, c)}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for r in results:
        b = r["baseline"]["stages"]
        if b.get("export turtle") is None:
            # No complete Turtle file to parse: the figure would be meaningless.
            b["load query store"] = "not run (no Turtle)"
    for st in STAGES:
        row(st, [r["native"]["stages"].get(st) for r in results],
            [r["baseline"]["stages"].get(st) for r in results])  # fmt: skip
    nat_total = [sum(r["native"]["stages"].values()) for r in results]
    base_total: list = []
    bounds = []  # with stages timed out: at least the sum, each capped one at its cap
    for r in results:
        vals = [r["baseline"]["stages"].get(s) for s in STAGES]
        ok = all(isinstance(v, float) for v in vals)
        base_total.append(sum(vals) if ok else None)
        bounds.append(sum(v if isinstance(v, float) else timeout for v in vals[:-1]))
    row("**full build** (sum of the stages)", nat_total, base_total, bounds)
    lines.append(
        "| peak memory (child process) | "
        + " | ".join(
            f"{r['native']['peak MiB']:.0f} MiB / {r['baseline']['peak MiB']:.0f} MiB / –"
            for r in results
        )
        + " |"
    )
    names = sorted(results[0]["native"]["queries"])
    for name in names:
        row(f"query `{name}` (median)",
            [r["native"]["queries"][name]["median"] for r in results],
            [r["baseline"].get("queries", {}).get(name, {}).get("median") for r in results],
            min(timeout / 4, 15.0))  # fmt: skip
    lines += [
        "",
        "| end to end (separate commands) | " + " | ".join(f"{n:,}" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
        "| `kg build DIR --reason --full` wall | "
        + " | ".join(fmt_s(r["cli"]["build"]) for r in results)
        + " |",
        "| `kg build DIR --reason` after editing one record (incremental) | "
        + " | ".join(fmt_s(r["cli"]["rebuild"]) for r in results)
        + " |",
        "| the same after undoing the edit | "
        + " | ".join(fmt_s(r["cli"].get("rebuild back")) for r in results)
        + " |",
    ]
    for name in sorted(results[0]["cli"].get("queries", {"timeline": None})):
        lines.append(
            f"| `kg query {name} --graph …/kg.ttl` (median of 3) | "
            + " | ".join(
                fmt_s(r["cli"].get("queries", {}).get(name, r["cli"]["query"])) for r in results
            )
            + " |"
        )
    lines += [
        "| `kg --help` | " + " | ".join(fmt_s(r["cli"]["help"]) for r in results) + " |",
        "| open the persisted store | "
        + " | ".join(fmt_s(r["native"]["open store"]) for r in results)
        + " |",
        "| inferred triples / findings (native) | "
        + " | ".join(f"{r['native']['inferred']:,} / {r['native']['findings']}" for r in results)
        + " |",
    ]
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        growth = []
        for st in STAGES:
            x, y = a["native"]["stages"].get(st), b["native"]["stages"].get(st)
            if x and y:
                # Each round's own ratio too: the sizes were built in turns, so
                # a round's two builds ran on the machine in the same state.
                per_round = sorted(
                    rb[st] / ra[st]
                    for ra, rb in zip(
                        a["native"].get("rounds", []), b["native"].get("rounds", []), strict=True
                    )
                    if ra.get(st) and rb.get(st)
                )
                spread = f" ({per_round[0]:.1f}–{per_round[-1]:.1f})" if per_round else ""
                growth.append(f"{st} {y / x:.1f}{spread}")
        lines += [
            "",
            f"Growth native {b['triples']:,} / {a['triples']:,} "
            f"(×{b['triples'] / a['triples']:.1f} triples), of the medians (in brackets: "
            "the lowest and highest of the rounds' own ratios): " + ", ".join(growth) + ".",
        ]
    lines += [
        "",
        "Native stages are timed on the main thread and add up to the build's wall "
        "time: the query store is filled by Oxigraph in a background thread while "
        "validation and reasoning run, so its row is only the wait for it at the end "
        f"(plus queueing the loads). Each native stage is the median of {BUILD_RUNS} "
        "full builds, each in its own process, the sizes taking turns round after "
        "round (peak memory: the largest); each baseline stage is one run.",
    ]
    return "\n".join(lines) + "\n"


def full_builds(events: list[int], runs: int, others: list[str], command: str) -> str:
    """``kg build --reason --full`` of each size, ``runs`` times, this kg and each
    of ``others`` in turns; a Markdown section (medians, and each run)."""
    kgs = [str(Path(sys.executable).parent / "kg"), *others]
    work = Path(tempfile.mkdtemp(prefix="kg-bench-full-"))
    rows: dict[tuple[int, int], list[tuple[float, ...]]] = {}
    loads = [os.getloadavg()]
    try:
        for n in events:
            gen = [kgs[0], "generate", "--events", str(n), "--seed", "1", "-o", str(work / f"r{n}")]
            subprocess.run(gen, check=True, capture_output=True)
        for _ in range(runs):
            for n in events:
                for i, kg in enumerate(kgs):
                    out = work / f"out-{n}-{i}"
                    rows.setdefault((n, i), []).append(_timed_build(kg, work / f"r{n}", out))
        triples = {n: _triples(work / f"out-{n}-0" / "kg.ttl") for n in events}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    loads.append(os.getloadavg())
    lines = [
        "## Full builds end to end (bench/run.py --full-builds)",
        "",
        f"Reproduce: `{command}`. `kg build DIR --reason --full` under `/usr/bin/time`: "
        "wall, CPU (user + system, the read-back workers included), peak memory (the "
        "largest process); median of the runs, then each run (wall / CPU). Load average "
        f"before: {' '.join(f'{x:.1f}' for x in loads[0])}; after: "
        f"{' '.join(f'{x:.1f}' for x in loads[1])}; {os.cpu_count()} CPUs.",
        "",
        "| triples | kg | wall | CPU | peak | runs (wall / CPU) |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for n in events:
        for i, kg in enumerate(kgs):
            got = rows[(n, i)]
            med = [statistics.median(r[k] for r in got) for k in range(3)]
            each = ", ".join(f"{w:.1f} / {c:.1f}" for w, c, _m in got)
            lines.append(
                f"| {triples[n]:,} | {'this' if i == 0 else kg} | {med[0]:.1f} s "
                f"| {med[1]:.1f} s | {med[2]:.0f} MiB | {each} |"
            )
    return "\n".join(lines) + "\n"


def _timed_build(kg: str, records: Path, out: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB) of one full build into ``out``, made anew."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", kg, "build", str(records), "-o", str(out)]
    proc = subprocess.run([*cmd, "--reason", "--full"], check=True, capture_output=True, text=True)
    wall, user, system, peak = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(peak) / 1024


def _triples(ttl: Path) -> int:
    import pyoxigraph

    return sum(1 for _ in pyoxigraph.parse(path=str(ttl), format=pyoxigraph.RdfFormat.TURTLE))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 10,083, 99,715 and 1,003,617 triples in kg.ttl with today's generator (cited themes:
    # about 76 triples an event; the sizes were 220, 2200 and 22000 events before).
    ap.add_argument("--events", type=int, nargs="+", default=[130, 1300, 13100])
    ap.add_argument("--baseline-timeout", type=float, default=120.0)
    ap.add_argument("--child", choices=["native", "native-build", "baseline"])
    ap.add_argument("--records", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--rerender", action="store_true", help="Rewrite RESULTS.md from results.json.")
    ap.add_argument("--full-builds", type=int, metavar="N", help="Only N full builds per size.")
    ap.add_argument("--kg", action="append", default=[], help="Another kg to time beside.")
    args = ap.parse_args()
    if args.full_builds:
        command = "python bench/run.py " + " ".join(a for a in sys.argv[1:] if a != "--no-write")
        section = full_builds(args.events, args.full_builds, args.kg, command)
        print(section)
        if not args.no_write:
            write(section, FULL_BEGIN, FULL_END)
        return
    if args.rerender:
        data = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        write(
            render(
                data["results"],
                data["machine"],
                args.baseline_timeout,
                data.get("command", "python bench/run.py"),
            )
        )
        return
    if args.child in ("native", "native-build"):
        print(json.dumps(child_native(args.records, args.out, args.child == "native")))
        return
    if args.child == "baseline":
        print(json.dumps(child_baseline(args.records, args.out, args.baseline_timeout)))
        return
    command = "python bench/run.py " + " ".join(a for a in sys.argv[1:] if a != "--no-write")
    kg = str(Path(sys.executable).parent / "kg")
    results = []
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    try:
        for events in args.events:
            subprocess.run(
                [kg, "generate", "--events", str(events), "--seed", "1",
                 "-o", str(work / f"records-{events}")],
                check=True, capture_output=True,
            )  # fmt: skip
        # Each full build in its own process, each stage's median: one run of a
        # 0.4 s stage moves by ±20 % on a shared 2-core machine, enough to swing
        # the growth ratios (and builds repeated in one process inherit the
        # first one's heap). The sizes take turns, round after round, so a slow
        # spell of a shared machine falls on every size alike instead of on one
        # (a run that built all of 100k first once had it 1.8x slower than usual).
        # The last round also times the queries.
        rounds: dict[int, list[dict]] = {events: [] for events in args.events}
        for n in range(BUILD_RUNS):
            kind = "native" if n == BUILD_RUNS - 1 else "native-build"
            for events in args.events:
                print(f"[{events} events] native build {n + 1}/{BUILD_RUNS} ...",
                      file=sys.stderr, flush=True)  # fmt: skip
                rounds[events].append(run_child([
                    "--child", kind, "--records", str(work / f"records-{events}"),
                    "--out", str(work / f"build-{events}"),
                ]))  # fmt: skip
        for events in args.events:
            records = work / f"records-{events}"
            out = work / f"build-{events}"
            runs = rounds[events]
            nat = runs[-1]
            stages = nat["stages"]
            nat["rounds"] = [r["stages"] for r in runs]
            nat["stages"] = {k: statistics.median(r["stages"][k] for r in runs) for k in stages}
            nat["build wall"] = statistics.median(r["build wall"] for r in runs)
            nat["peak MiB"] = max(r["peak MiB"] for r in runs)
            print(f"[{events} events] commands ...", file=sys.stderr, flush=True)
            build_cmd = [kg, "build", str(records), "-o", str(out), "--reason"]
            cli: dict = {"build": wall([*build_cmd, "--full"])}
            first = sorted(records.glob("*.yaml"))[0]
            text = first.read_text(encoding="utf-8")
            first.write_text(text.replace("Bulletin 0 of", "Bulletin zero of", 1), encoding="utf-8")
            cli["rebuild"] = wall(build_cmd)  # incremental: only what the edit affects
            first.write_text(text, encoding="utf-8")
            cli["rebuild back"] = wall(build_cmd)
            cli["queries"] = {
                name: statistics.median(
                    wall([kg, "query", name, "--graph", str(out / "kg.ttl")]) for _ in range(3)
                )
                for name in sorted(nat["queries"])
            }
            cli["query"] = cli["queries"]["timeline"]
            cli["help"] = statistics.median(wall([kg, "--help"]) for _ in range(3))
            print(f"[{events} events] baseline ...", file=sys.stderr, flush=True)
            base = run_child([
                "--child", "baseline", "--records", str(records), "--out", str(out),
                "--baseline-timeout", str(args.baseline_timeout),
            ])  # fmt: skip
            results.append(
                {
                    "events": events,
                    "triples": nat["triples"],
                    "native": nat,
                    "baseline": base,
                    "cli": cli,
                }
            )
            print(json.dumps(results[-1]["cli"]), file=sys.stderr, flush=True)
            if not args.no_write:  # what a long run measured survives its crash
                PARTIAL.write_text(json.dumps(results) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = machine()
    table = render(results, info, args.baseline_timeout, command)
    print(table)
    print(f"Reproduce with: {command}")
    if args.no_write:
        return
    RESULTS_JSON.write_text(
        json.dumps({"machine": info, "command": command, "results": results}, indent=1) + "\n",
        encoding="utf-8",
    )
    write(table)
    PARTIAL.unlink(missing_ok=True)


def write(table: str, begin: str = BEGIN, end: str = END) -> None:
    old = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmarks\n"
    block = f"{begin}\n{table}{end}\n"
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end) + 1 :]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    RESULTS_MD.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
