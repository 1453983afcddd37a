"""Benchmark: push throughput to the Oxigraph server, and remote vs local query latency.

    python bench/push.py                 # 1,000,000 triples, 20 runs per query
    python bench/push.py --triples 100000 --runs 5

1. A synthetic graph of ``--triples`` triples (people, events, dates, labels
   in two languages: the shapes of kg's data) is written as N-Triples and
   pushed with :func:`kg.remote.push.push` to a fresh ``oxigraph serve`` on
   127.0.0.1, each time into an empty graph: atomically (staging graph +
   MOVE), then directly (PUT). Each push parses the file with rdflib and
   writes the N-Triples it uploads ("prepare"), then uploads them and reads
   the triple count back ("upload+check"). A bare PUT of the same file shows
   what the protocol and the store alone cost.
2. The bundled graph is pushed, and each canned query is run ``--runs``
   times locally (rdflib, in memory) and remotely (``kg query --endpoint``'s
   code path: HTTP + JSON + parsing into rdflib terms); medians are shown.

Everything runs on 127.0.0.1 and stops by itself; the server's folder is
temporary. Record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from kg.pipeline.open import open_graph
from kg.remote.endpoints import graph_store_url
from kg.remote.http import Client, Connection
from kg.remote.protocol import count_triples, remote_query
from kg.remote.push import push
from kg.serve.endpoint import oxigraph_binary
from kg.sparql.canned import bind_params, catalog
from kg.sparql.run import run_query

HOST = "127.0.0.1"
BUNDLED = "https://w3id.org/kg-nj/graph/bundled"
BENCH = "https://w3id.org/kg-nj/graph/bench"


def synthetic_ntriples(path: Path, n: int, seed: int = 7) -> int:
    """Write about ``n`` distinct triples shaped like kg's data; return the count."""
    rnd = random.Random(seed)
    kg = "https://w3id.org/kg-nj/ontology#"
    idn = "https://w3id.org/kg-nj/bench/"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        i = 0
        while written < n:
            e = f"<{idn}event-{i}>"
            day = f"{rnd.randint(1990, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            lines = [
                f"{e} {rdf_type} <{kg}Meeting> .",
                f'{e} {label} "Meeting number {i}"@en .',
                f'{e} {label} "Réunion numéro {i}"@fr .',
                f'{e} <{kg}startDate> "{day}"^^<{xsd}date> .',
                f'{e} <{kg}attendance> "{rnd.randint(2, 500)}"^^<{xsd}integer> .',
                f"{e} <{kg}participant> <{idn}person-{rnd.randint(0, n // 50)}> .",
                f"{e} <{kg}participant> <{idn}person-{rnd.randint(0, n // 50)}> .",
                f"{e} <{kg}place> <{idn}place-{rnd.randint(0, 500)}> .",
                f"{e} <{kg}theme> <{idn}theme-{rnd.randint(0, 60)}> .",
                f'{e} <{kg}quote> "Text of the source for meeting {i}, quoted as printed."@en .',
            ]
            if lines[5] == lines[6]:
                del lines[6]
            fh.write("\n".join(lines) + "\n")
            written += len(lines)
            i += 1
    return written


def start_oxigraph(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket_port() as port:
        pass
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(folder / "db"), "--bind", f"{HOST}:{port}"],
        stdout=(folder / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/query", params={"query": "ASK {}"}, timeout=2).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("oxigraph did not start")


class socket_port:
    """A free port on 127.0.0.1 (closed again before the server binds it)."""

    def __enter__(self) -> int:
        import socket

        self.s = socket.socket()
        self.s.bind((HOST, 0))
        return int(self.s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.s.close()


def bare_put(store: str, path: Path, conn: Connection) -> float:
    """Seconds for one Graph Store PUT of the file (no parsing on kg's side)."""
    with Client(conn) as client, path.open("rb") as fh:
        t = time.perf_counter()
        client.request(
            "PUT",
            graph_store_url(store, BENCH + "-bare"),
            data=fh,
            headers={"Content-Type": "application/n-triples"},
            idempotent=True,
            what="upload",
        ).close()
        return time.perf_counter() - t


def versions() -> str:
    import importlib.metadata as md

    v = {p: md.version(p) for p in ("rdflib", "requests", "oxigraph")}
    return (
        f"Python {platform.python_version()}, rdflib {v['rdflib']}, requests {v['requests']}, "
        f"Oxigraph server {v['oxigraph']}, {platform.system()} {platform.release()}"
    )


def bench_push(store: str, query: str, n_wanted: int, folder: Path, conn: Connection) -> None:
    data = folder / "synthetic.nt"
    n = synthetic_ntriples(data, n_wanted)
    print(f"\nSynthetic graph: {n:,} triples, {data.stat().st_size / 1e6:.0f} MB of N-Triples\n")
    head = ("push", "total s", "prepare s", "upload+check s", "triples/s (upload)")
    print(f"{head[0]:<34} {head[1]:>8} {head[2]:>10} {head[3]:>15} {head[4]:>19}")
    modes = (("kg push (staging + MOVE)", True), ("kg push --direct (PUT)", False))
    for label, atomic in modes:
        t = time.perf_counter()
        target = BENCH if atomic else BENCH + "-direct"  # each into an empty graph
        r = push(store, data, graph=target, atomic=atomic, with_ontology=False, conn=conn)
        total = time.perf_counter() - t
        assert r.graphs[0].counted == n, r.summary()
        up = r.seconds
        print(f"{label:<34} {total:8.1f} {r.prepare_seconds:10.1f} {up:15.1f} {n / up:19,.0f}")
    secs = bare_put(store, data, conn)
    assert count_triples(query, BENCH + "-bare", conn=conn) == n
    label = "bare Graph Store PUT of the file"
    print(f"{label:<34} {secs:8.1f} {'-':>10} {secs:15.1f} {n / secs:19,.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"(peak memory of this process: {peak:.1f} GiB)")


def bench_queries(store: str, query: str, runs: int, conn: Connection) -> None:
    graph = open_graph()
    push(store, None, graph=BUNDLED, conn=conn)
    print(
        f"\nCanned queries on the bundled graph ({len(graph):,} triples), median of {runs} runs:\n"
    )
    print(f"{'query':<20} {'rows':>5} {'local ms':>9} {'remote ms':>10}")
    local_all, remote_all = [], []
    with Client(conn) as client:
        for name, q in sorted(catalog().items()):
            b = bind_params(q, {})
            lt, rt = [], []
            for _ in range(runs):
                t = time.perf_counter()
                res = run_query(graph, q.text, b)
                lt.append(time.perf_counter() - t)
                t = time.perf_counter()
                remote_query(query, q.text, b, client=client, default_graph_uris=[BUNDLED])
                rt.append(time.perf_counter() - t)
            lm, rm = statistics.median(lt) * 1000, statistics.median(rt) * 1000
            local_all.append(lm)
            remote_all.append(rm)
            print(f"{name:<20} {len(res.rows):5d} {lm:9.1f} {rm:10.1f}")
    lm, rm = statistics.median(local_all), statistics.median(remote_all)
    print(f"{'(median of medians)':<20} {'':5} {lm:9.1f} {rm:10.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"Machine: {os.cpu_count()} CPUs (nproc), {mem:.0f} GiB RAM; {versions()}")
    print(f"Load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    conn = Connection(timeout=600, retries=0)
    folder = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    proc, base = start_oxigraph(folder)
    try:
        bench_push(f"{base}/store", f"{base}/query", args.triples, folder, conn)
        bench_queries(f"{base}/store", f"{base}/query", args.runs, conn)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
