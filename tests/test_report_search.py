"""The report's search index (kg.views.report.search): terms, shards, MiniSearch's form.
The browser tests (tests/browser/test_search_filters.py) run the vendored library on it."""

from __future__ import annotations

import json

import pytest

from kg.views.model import Description
from kg.views.report import search
from kg.views.report.search import build_search_index, shard_key, tokens


def record(rid: str, labels: dict[str, list[str]], alt: dict[str, list[str]] | None = None):
    return Description(
        iri=f"https://example.org/id/{rid}", id=rid, label=labels["en"][0], kind="person",
        kind_title="Person", classes=[], labels=labels, alt_labels=alt or {}, qualifiers=[],
        label_facts=[], facts=[], details=[], related=[], corrections=[], supports=[],
        citations=[], neighbours=[], record_citations=[],
    )  # fmt: skip


def test_terms_fold_case_and_accents_and_pair_cjk():
    assert tokens("Ōsaka, ÉTÉ naïve-Straße") == ["osaka", "ete", "naive", "straße"]
    pairs = ["安倍", "倍晋", "晋三", "三内", "内閣", "閣総", "総理", "理大", "大臣"]
    assert tokens("安倍晋三内閣総理大臣") == pairs
    assert tokens("NATO日本 の") == ["nato", "日本", "の"]
    assert tokens("ＮＡＴＯ ｶﾞｲﾄﾞ") == ["nato", "カイ", "イト"]  # full-width latin, half-width kana
    assert tokens(" -- ") == []


def test_shard_keys():
    assert [shard_key(t, 1) for t in ("kiuchi", "2013", "安倍", "øre")] == ["k", "2", "u5b", "u0"]
    assert shard_key("kiuchi", 3) == "kiu"


def test_index_is_minisearch_serialised_form():
    idx = build_search_index([record("minoru-kiuchi", {"en": ["Minoru Kiuchi"]})])
    assert idx.meta["documentCount"] == 1 and idx.meta["serializationVersion"] == 2
    assert idx.meta["fieldIds"] == {"name": 0, "id": 1, "text": 2}
    assert idx.meta["averageFieldLength"] == [2, 2, 0]
    assert idx.shards["1-k"] == {
        "documentIds": {"1": 1},
        "fieldLength": {"1": [2, 2, 0]},
        "index": [["kiuchi", {"0": {"1": 1}, "1": {"1": 1}}]],
    }
    shown = {"t": "Minoru Kiuchi", "u": "entity/minoru-kiuchi.html", "k": "Person", "o": ""}
    assert idx.shown == [shown]
    files = idx.files()
    assert sorted(files) == ["search/1-k.js", "search/1-m.js", "search/docs-0.js", "search/meta.js"]
    head, _, body = files["search/1-k.js"].decode().partition('window.kgSearchShard["1-k"] = ')
    assert head == "window.kgSearchShard = window.kgSearchShard || {};\n"
    assert json.loads(body.rstrip(";\n")) == idx.shards["1-k"]
    docs = files["search/docs-0.js"].decode().partition('window.kgSearchDocs["0"] = ')[2]
    assert json.loads(docs.rstrip(";\n")) == [shown]


def test_records_shown_come_a_thousand_a_file():
    idx = build_search_index([record(f"p{i:04}", {"en": [f"P {i}"]}) for i in range(2500)])
    docs = sorted(f for f in idx.files() if "docs-" in f)
    assert docs == ["search/docs-0.js", "search/docs-1.js", "search/docs-2.js"]
    assert idx.shown[1000]["u"] == "entity/p1000.html"  # MiniSearch id 1001: docs-1, first


def test_big_shards_split_by_more_characters(monkeypatch):
    people = [record(f"p{i}", {"en": [f"Kato Kan{i % 7} Ka"]}, {"ja": ["加藤"]}) for i in range(60)]
    whole = build_search_index(people)
    assert whole.meta["shards"] == [[1, "k"], [1, "p"], [1, "u52"]]
    monkeypatch.setattr(search, "SHARD_POSTINGS", 50)
    split = build_search_index(people)
    keys = [tuple(s) for s in split.meta["shards"]]
    assert (1, "k") not in keys and (2, "ka") in keys  # "ka" stays under "ka", alone
    assert split.shards["2-ka"]["index"][0][0] == "ka" and len(split.shards["2-ka"]["index"]) == 1
    assert (3, "kat") in keys  # one term: not split further, whatever its size
    assert (3, "kan") not in keys and (4, "kan0") in keys and (2, "p1") in keys

    def terms(idx):
        return sorted(t for shard in idx.shards.values() for t, _ in shard["index"])

    assert terms(split) == terms(whole)  # every term in exactly one shard
    for name, shard in split.shards.items():
        length, key = name.split("-", 1)
        assert all(shard_key(t, int(length)) == key for t, _ in shard["index"]), name
    assert split.meta["averageFieldLength"] == whole.meta["averageFieldLength"]


@pytest.mark.parametrize("text", ["", "—"])
def test_empty_texts_have_no_terms(text):
    assert tokens(text) == []
