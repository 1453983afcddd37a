"""Benchmark: kg export, and the upload kg push and kg serve prepare, against the baseline.

    python bench/export.py                          # ~100k and ~1M triples (about 20 minutes)
    python bench/export.py --events 220 2200        # other sizes
    python bench/export.py --baseline-timeout 120

For each size, records are made with ``kg generate`` (seed 1) and built with
``kg build --reason``; then each measurement runs in its own child process
(peak memory: its ``ru_maxrss``), native and baseline side by side:

* native — what kg does now: ``kg.pipeline.export.export_bytes`` (the build's
  ``kg.ttl`` parsed by Oxigraph, kg's reasoner, Oxigraph's serialiser);
* baseline — the straightforward use of the libraries, which kg did before:
  rdflib parses the file (``read_graph``) into an rdflib dataset, owlrl
  reasons (``--reason``), rdflib serialises (``kg.rdfio.write.serialize``).
  Each baseline run is capped by ``--baseline-timeout`` (the child is killed:
  "> T s", no memory figure).

Measured: N-Triples of ``kg.ttl``; the same with ``--reason``; TriG with
``--reason --with-ontology`` from the records (one named graph per source);
the N-Triples upload ``kg push`` prepares (``prepare_payloads``, the ontology
included, native only: its baseline is the first row's path plus the
ontology); and ``kg serve --graph kg.ttl`` until its endpoint answers, wall
(native only).

Results go to bench/RESULTS.md between the ``bench/export.py`` markers and to
bench/export.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_JSON = HERE / "export.json"
BEGIN = "<!-- bench/export.py: begin -->"
END = "<!-- bench/export.py: end -->"
# (label, format, source, --reason, --with-ontology); source "graph" is the
# build's kg.ttl, "records" the generated records.
EXPORTS = [
    ("N-Triples of kg.ttl", "nt", "graph", False, False),
    ("N-Triples of kg.ttl, --reason", "nt", "graph", True, False),
    ("TriG of the records, --reason --with-ontology", "trig", "records", True, True),
]


def child(task: str, fmt: str, source: str, reason: bool, onto: bool) -> dict:
    """One measurement, in this (child) process."""
    path = Path(source)
    graph_file, records = (path, None) if path.suffix == ".ttl" else (None, path)
    t = time.perf_counter()
    if task == "native":
        from kg.pipeline.export import export_bytes

        data = export_bytes(fmt, graph_file, records, reason=reason, with_ontology=onto)
    elif task == "baseline":
        from rdflib import Graph

        from kg.pipeline.export import export_dataset
        from kg.rdfio.formats import is_dataset_format
        from kg.rdfio.write import serialize

        ds = export_dataset(
            graph_file, records, reason=reason, with_ontology=onto, engine="reference"
        )
        target = ds
        if not is_dataset_format(fmt):
            target = Graph()
            for s, p, o, _g in ds.quads((None, None, None, None)):
                target.add((s, p, o))
        data = serialize(target, fmt)
    elif task == "push":
        from kg.remote.push import prepare_payloads

        with prepare_payloads(graph_file, records, reason=reason) as payloads:
            data = b"x" * sum(p.triples for p in payloads)
    else:
        raise SystemExit(f"unknown task {task}")
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = data.count(b"\n") if fmt == "nt" else None  # N-Triples: one triple a line
    return {"seconds": seconds, "peak_mib": peak, "bytes": len(data), "triples": lines}


def run_child(args: list[str], timeout: float | None) -> dict | None:
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def serve_ready(graph: Path) -> float:
    """Seconds from ``kg serve --port 0`` to a first answer, in a child process."""
    code = (
        "import sys, time, requests\n"
        "from pathlib import Path\n"
        "from kg.serve.endpoint import serve\n"
        "t = time.perf_counter()\n"
        "with serve(Path(sys.argv[1]), port=0) as ep:\n"
        "    requests.get(ep.query_url, params={'query': 'ASK {}'}, timeout=60)\n"
        "    print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(graph)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(events: int, work: Path, timeout: float) -> dict:
    kg = str(Path(sys.executable).with_name("kg"))
    records, out = work / f"records-{events}", work / f"build-{events}"
    subprocess.run([kg, "generate", "--events", str(events), "--seed", "1", "-o", str(records)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([kg, "build", str(records), "-o", str(out), "--reason"],
                   check=True, capture_output=True)  # fmt: skip
    graph = out / "kg.ttl"
    rows = []
    for label, fmt, source, reason, onto in EXPORTS:
        src = str(graph if source == "graph" else records)
        args = [fmt, src, str(int(reason)), str(int(onto))]
        native = run_child(["native", *args], None)
        base = run_child(["baseline", *args], timeout)
        rows.append({"label": label, "native": native, "baseline": base})
        print(f"{events} {label}: {native} / {base}", file=sys.stderr, flush=True)
    push = run_child(["push", "nt", str(graph), "0", "1"], None)
    serve = serve_ready(graph)
    triples = rows[0]["native"]["triples"]
    return {"events": events, "triples": triples, "rows": rows, "push": push, "serve": serve}


def fmt_s(r: dict | None, timeout: float) -> str:
    if r is None:
        return f"> {timeout:.0f} s (killed)"
    s = r["seconds"]
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def table(results: list[dict], timeout: float, machine: str) -> str:
    head = " | ".join(f"{r['events']} events" for r in results)
    lines = [
        BEGIN,
        "## Export, and the upload of push and serve (bench/export.py)",
        "",
        f"Reproduce: `python bench/export.py --baseline-timeout {timeout:.0f}` (generated "
        "records, seed 1, built with `kg build --reason`; each run in its own child "
        "process; native and baseline side by side in one run).",
        "",
        f"Machine: {machine}.",
        "",
        f"| native / baseline, ratio, peak memory | {head} |",
        "|---|" + "---|" * len(results),
    ]
    for i, (label, *_rest) in enumerate(EXPORTS):
        cells = []
        for r in results:
            row = r["rows"][i]
            n, b = row["native"], row["baseline"]
            ratio = (
                f"{b['seconds'] / n['seconds']:.0f}×"
                if b is not None
                else f"> {timeout / n['seconds']:.0f}×"
            )
            mem = f"{n['peak_mib']:.0f} / " + ("–" if b is None else f"{b['peak_mib']:.0f}")
            cells.append(f"{fmt_s(n, timeout)} / {fmt_s(b, timeout)}, {ratio}, {mem} MiB")
        lines.append(f"| `kg export`: {label} | " + " | ".join(cells) + " |")
    cells = [f"{fmt_s(r['push'], timeout)}, {r['push']['peak_mib']:.0f} MiB" for r in results]
    lines.append(f"| `kg push`: preparing the N-Triples of kg.ttl (native) | {' | '.join(cells)} |")
    cells = [f"{r['serve']:.1f} s" for r in results]
    lines.append(f"| `kg serve --graph kg.ttl`: until it answers (native) | {' | '.join(cells)} |")
    sizes = ", ".join(f"{r['events']} events: {r['triples']:,} triples in kg.ttl" for r in results)
    lines += [
        "",
        f"Sizes: {sizes}. Native: `kg.pipeline.export.export_bytes` (Oxigraph parses a `kg.ttl` "
        "that `kg build` wrote, kg's reasoner, Oxigraph's serialiser). Baseline: rdflib "
        "parses into a dataset, owlrl reasons, rdflib serialises (kg's export before "
        "`--engine`). Peak memory: native / baseline.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        task, fmt, source, reason, onto = sys.argv[2:7]
        print(json.dumps(child(task, fmt, source, reason == "1", onto == "1")))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1300, 13100])
    ap.add_argument("--baseline-timeout", type=float, default=180.0)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from run import machine  # the same description as bench/run.py

    m = machine()
    desc = (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    )
    work = Path(tempfile.mkdtemp(prefix="kg-bench-export-"))
    try:
        results = [measure(n, work, args.baseline_timeout) for n in args.events]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS_JSON.write_text(json.dumps({"machine": m, "results": results}, indent=1) + "\n")
    md = table(results, args.baseline_timeout, desc)
    text = RESULTS_MD.read_text(encoding="utf-8")
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + md + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + md
    RESULTS_MD.write_text(text, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
