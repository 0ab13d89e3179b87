"""The documentation is the repository's own: nothing points outside it, and every pointer into docs/ lands.

Comments and docs cite rules as `docs/rules.md §4.5`, conventions as `docs/conventions.md C7`, decisions as
`docs/decisions.md D7`, architecture as `docs/architecture.md §7`, a heading by its words as
`docs/rules.md, "Time rules"`, and a clause of a source document by its short name, `Shantou 三(三)`
(docs/rules.md, "Sources"). Files outside the repository cannot be followed by the next maintainer.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHECKED_SUFFIXES = {".py", ".html", ".txt", ".md", ".toml"}
NUMERALS = "一二三四五六七八九十"

# Documents that were never in the repository. Each pattern is written so that it does not match its
# own source text (the bracketed letter), so this file needs no exception.
OUTSIDE = {
    "the specification": re.compile(r"\bS[P]EC\b"),
    "the style guide": re.compile(r"\bS[T]YLE(?:\.md|\s+C\d)"),
    "the architecture notes": re.compile(r"\bA[R]CHITECTURE\b"),
    "the machine notes": re.compile(r"\bN[O]TES\.md\b"),
    "the shared folder": re.compile(r"\bs[h]ared/"),
    "the seed folder": re.compile(r"\bs[e]eds/"),
    "a source document by file number": re.compile(
        rf"(?<![\d.#])\b00[0-4](?:\s*[{NUMERALS}]|\s*附件|(?=[);]))"
    ),
}

ID = r"§\d+(?:\.\d+)?|[CD]\d+"
DOC_REF = re.compile(r"docs/(?P<file>[\w-]+\.md)")
# After a docs file name: `§4.5`, `§1, §8`, `§3–§4`, `C5, C9`, `D7 and D15` …
NEXT_ID = re.compile(rf"\s*(?:,|–|-|and|&)?\s*(?P<id>{ID})(?!\w)")
TOPIC = re.compile(r"""\s*,\s*["“](?P<topic>[^"”\n]+)["”]""")
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*$", re.M)
HEADING_ID = re.compile(rf"^(?P<id>{ID})\b")
ANCHOR = re.compile(r"""<a id="(?P<id>[^"]+)"></a>""")
LINK = re.compile(r"\]\((?P<file>[\w-]+\.md)?(?:#(?P<anchor>[\w-]+))?\)")
SOURCE = re.compile(
    rf"\b(?P<name>Heyuan|Pingdingshan|Uxin|Hailar|Shantou) "
    rf"(?P<clause>[{NUMERALS}]+(?:\([{NUMERALS}]+\))?\d*|附件\d)"
)
CLAUSE_ROW = re.compile(r"^\| (?P<key>(?:Heyuan|Pingdingshan|Uxin|Hailar|Shantou) [^|]+?) \|", re.M)


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files are tracked")
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [p for p in paths if p.suffix in CHECKED_SUFFIXES and p.is_file()]


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def where(path: Path, number: int, line: str) -> str:
    return f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"


def doc_ids(name: str) -> tuple[set[str], list[str]]:
    """The ids (§4.5, C7, D7) of a doc's headings, and the headings' texts."""
    text = (DOCS / name).read_text(encoding="utf-8")
    headings = [m["text"] for m in HEADING.finditer(text)]
    ids = {m["id"] for h in headings if (m := HEADING_ID.match(h))}
    return ids, headings


def references(line: str) -> list[tuple[str, str, str]]:
    """(file, kind, target) for each docs/ reference on a line: kind is "id", "topic" or "file"."""
    found = []
    for ref in DOC_REF.finditer(line):
        position, ids = ref.end(), []
        while match := NEXT_ID.match(line, position):
            ids.append(match["id"])
            position = match.end()
        topic = TOPIC.match(line, ref.end())
        if ids:
            found += [(ref["file"], "id", i) for i in ids]
        elif topic:
            found.append((ref["file"], "topic", topic["topic"]))
        else:
            found.append((ref["file"], "file", ""))
    return found


def test_no_tracked_file_refers_to_a_document_outside_the_repository():
    offending, counts = [], Counter()
    for path in tracked_files():
        for number, line in enumerate(lines_of(path), start=1):
            for what, pattern in OUTSIDE.items():
                hits = len(pattern.findall(line))
                if hits:
                    counts[what] += hits
                    offending.append(f"{where(path, number, line)}  [{what}]")
    summary = ", ".join(f"{what}: {n}" for what, n in counts.most_common())
    assert offending == [], f"{len(offending)} lines ({summary}):\n" + "\n".join(offending)


def test_every_docs_reference_names_a_heading_that_exists():
    missing = []
    for path in tracked_files():
        for number, line in enumerate(lines_of(path), start=1):
            for name, kind, target in references(line):
                if not (DOCS / name).is_file():
                    missing.append(f"{where(path, number, line)}  [no docs/{name}]")
                    continue
                ids, headings = doc_ids(name)
                if kind == "id" and target not in ids:
                    missing.append(f"{where(path, number, line)}  [no heading {target} in {name}]")
                if kind == "topic" and not any(target.casefold() in h.casefold() for h in headings):
                    missing.append(
                        f"{where(path, number, line)}  [no heading “{target}” in {name}]"
                    )
    assert missing == [], "\n".join(missing)


def test_every_source_clause_cited_has_a_row_in_the_clause_index():
    index = {m["key"] for m in CLAUSE_ROW.finditer((DOCS / "rules.md").read_text(encoding="utf-8"))}
    missing = [
        f"{where(path, number, line)}  [{m['name']} {m['clause']}]"
        for path in tracked_files()
        for number, line in enumerate(lines_of(path), start=1)
        for m in SOURCE.finditer(line)
        if f"{m['name']} {m['clause']}" not in index
    ]
    assert missing == [], "add a row to the clause index of docs/rules.md:\n" + "\n".join(missing)


def test_links_between_the_docs_land_on_an_anchor():
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for number, line in enumerate(lines_of(page), start=1):
            for link in LINK.finditer(line):
                target = DOCS / (link["file"] or page.name)
                if not target.is_file():
                    broken.append(f"{where(page, number, line)}  [no {target.name}]")
                    continue
                anchors = {m["id"] for m in ANCHOR.finditer(target.read_text(encoding="utf-8"))}
                if link["anchor"] and link["anchor"] not in anchors:
                    broken.append(f"{where(page, number, line)}  [no #{link['anchor']}]")
    assert broken == [], "\n".join(broken)


def test_each_numbered_heading_has_its_anchor():
    """`## §4.5 …` carries `<a id="s4-5">`, `## C7 …` `<a id="c7">`, `### D7 …` `<a id="d7">`, so links survive
    a change of the heading's words."""
    missing = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        anchors = {m["id"] for m in ANCHOR.finditer(text)}
        for heading in HEADING.finditer(text):
            if match := HEADING_ID.match(heading["text"]):
                anchor = match["id"].lower().replace("§", "s").replace(".", "-")
                if anchor not in anchors:
                    missing.append(f'{page.name}: {heading["text"]} [no <a id="{anchor}">]')
    assert missing == [], "\n".join(missing)


def test_references_are_read_with_their_lists_ranges_and_topics():
    """The parser the reference check relies on (a reference it cannot read is a reference not checked)."""
    assert references("(docs/rules.md §1, §8)") == [
        ("rules.md", "id", "§1"),
        ("rules.md", "id", "§8"),
    ]
    assert references("(docs/rules.md §3–§4; Shantou 二)") == [
        ("rules.md", "id", "§3"),
        ("rules.md", "id", "§4"),
    ]
    assert references("docs/conventions.md C5, C9.") == [
        ("conventions.md", "id", "C5"),
        ("conventions.md", "id", "C9"),
    ]
    assert references("see docs/rules.md §4.12 and docs/decisions.md D15") == [
        ("rules.md", "id", "§4.12"),
        ("decisions.md", "id", "D15"),
    ]
    assert references('(docs/rules.md, "Time limits")') == [("rules.md", "topic", "Time limits")]
    assert references("docs/" + "nowhere.md") == [("nowhere.md", "file", "")]


def test_the_outside_patterns_catch_each_way_of_citing_a_missing_file():
    # "#" keeps these examples from matching in this file; it is removed before the check.
    cited = [
        "(SP#EC §4.5; 00#4 三(三))",
        "SP#EC.md",
        "SP#EC: deployment",
        "(ST#YLE C7)",
        "ST#YLE.md",
        "ARCH#ITECTURE: tasks",
        "NO#TES.md",
        "/work/sha#red/x",
        "se#eds/004.txt",
        "(00#0 三; 00#1)",
        "00#2 附件1",
    ]
    missed = [t for t in cited if not any(p.search(t.replace("#", "")) for p in OUTSIDE.values())]
    assert missed == []
    clean = ["ZQ2026-000123", "docs/rules.md §4.5", "Shantou 三(三)", "GB 32100-2015 §4.3", "Style"]
    assert not any(p.search(text) for text in clean for p in OUTSIDE.values())
