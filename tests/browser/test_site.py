"""The report site without a browser: valid HTML, unique ids, no broken links, and
nothing that would reach the network when the pages are viewed."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from tinyhtml5.parser import HTMLParser

from kg.sparql.canned import catalog

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Attributes that make a browser load or follow something.
FORBIDDEN = {"iframe", "frame", "object", "embed", "img", "base", "video", "audio"}
URL_ATTRIBUTES = ("href", "src", "srcset", "action", "poster", "data", XLINK_HREF)


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@cache
def parse(path: Path) -> tuple[ET.Element, tuple[tuple[object, str, object], ...]]:
    """The page's tree (html5 parsing algorithm) and the parse errors found."""
    parser = HTMLParser()
    tree = parser.parse(path.read_bytes())
    return tree, tuple(parser.errors)


def ids(root: ET.Element) -> list[str]:
    return [el.get("id") for el in root.iter() if el.get("id") is not None]  # type: ignore[misc]


def test_expected_pages_exist(site, bundled):
    names = {str(p.relative_to(site)) for p in pages(site)}
    for top in ("index", "timeline", "network", "entities", "queries", "ontology", "validation"):
        assert f"{top}.html" in names
    for rid in bundled.records.records:
        assert f"entity/{rid}.html" in names, rid
    for q in catalog():
        assert f"query/{q}.html" in names, q
    assert (site / "style.css").is_file()


def test_every_page_is_valid_html(site):
    """No parse errors by the HTML5 parsing algorithm (tinyhtml5), a doctype, a
    language, a title, a character set, and ids unique within the page."""
    problems = []
    for path in pages(site):
        text = path.read_text(encoding="utf-8")
        root, errors = parse(path)
        rel = path.relative_to(site)
        if errors:
            problems.append(f"{rel}: {errors[:3]}")
        if not text.startswith("<!DOCTYPE html>\n"):
            problems.append(f"{rel}: no doctype")
        if root.get("lang") != "en":
            problems.append(f"{rel}: no lang on <html>")
        title = root.find(f"{XHTML}head/{XHTML}title")
        if title is None or not (title.text or "").strip():
            problems.append(f"{rel}: no title")
        if root.find(f"{XHTML}head/{XHTML}meta[@charset='utf-8']") is None:
            problems.append(f"{rel}: no charset")
        seen = ids(root)
        dupes = sorted({i for i in seen if seen.count(i) > 1})
        if dupes:
            problems.append(f"{rel}: duplicate ids {dupes[:5]}")
    assert not problems, "\n".join(problems[:30])


def test_inline_svg_is_well_formed_xml(site):
    """Each picture, cut out of its page, is well-formed XML (it is also valid as a
    stand-alone .svg file)."""
    import re

    count = 0
    for path in pages(site):
        text = path.read_text(encoding="utf-8")
        for svg in re.findall(r"<svg\b.*?</svg>", text, re.S):
            ET.fromstring(svg)
            count += 1
    assert count >= 3  # timeline, network, model, neighbourhoods


def _targets(root: ET.Element) -> list[tuple[str, str]]:
    out = []
    for el in root.iter():
        for attr in URL_ATTRIBUTES:
            value = el.get(attr)
            if value is not None:
                out.append((str(el.tag).split("}")[-1], value))
    return out


def test_no_broken_links_and_no_network(site):
    """Every href/src resolves to a file of the site (and its #anchor to an id in that
    file); nothing points outside the site: source addresses are shown as text."""
    broken = []
    for path in pages(site):
        root, _errors = parse(path)
        rel = path.relative_to(site)
        for tag, url in _targets(root):
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("//"):
                broken.append(f"{rel}: <{tag}> points outside the site: {url}")
                continue
            if parts.path:
                target = (path.parent / unquote(parts.path)).resolve()
                if site.resolve() not in target.parents and target != site.resolve():
                    broken.append(f"{rel}: <{tag}> leaves the site: {url}")
                    continue
                if not target.is_file():
                    broken.append(f"{rel}: <{tag}> missing file: {url}")
                    continue
            else:
                target = path
            if parts.fragment:
                if target.suffix != ".html":
                    broken.append(f"{rel}: anchor into a non-page: {url}")
                    continue
                if unquote(parts.fragment) not in ids(parse(target)[0]):
                    broken.append(f"{rel}: no #{parts.fragment} in {target.relative_to(site)}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:40])


def test_no_scripts_styles_or_fonts_from_elsewhere(site):
    """One local style sheet; scripts only from files of the site (their src is
    checked with every link) or JSON data, never inline code; no frames, no remote
    fonts or imports."""
    css = (site / "style.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    for path in pages(site):
        root, _errors = parse(path)
        tags = {str(el.tag).split("}")[-1] for el in root.iter()}
        assert not tags & FORBIDDEN, path
        for el in root.iter(f"{XHTML}script"):
            src, kind = el.get("src"), el.get("type")
            assert (src and not (el.text or "").strip()) or kind == "application/json", path
        links = list(root.iter(f"{XHTML}link"))
        assert [(el.get("rel"), posixpath.basename(el.get("href") or "")) for el in links] == [
            ("stylesheet", "style.css")
        ], path


@pytest.mark.parametrize("name", ["timeline.html", "network.html", "ontology.html"])
def test_pictures_are_svg_with_links_to_pages(site, name):
    root, _errors = parse(site / name)
    svgs = list(root.iter(f"{SVG}svg"))
    assert svgs, f"no SVG on {name}"
    hrefs = [a.get("href") for a in svgs[0].iter(f"{SVG}a")]
    assert hrefs and all(h and (h.startswith("entity/") or h.startswith("#")) for h in hrefs)
