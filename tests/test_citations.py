"""What the repository cites is in the repository: users have it, not the folders it was built from."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

CITED_FILE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:md|yaml|py|csv|txt))\b")
"""A path-like mention of a document or file, e.g. docs/domain.md or scenarios/product_launch.yaml."""

WRITTEN_BY_THE_TOOL = {"lesson.md", "what_happened.md", "NN_name.md", "summary.md"}
"""Markdown files sharesim writes into output folders: named, not cited."""


def tracked_text_files() -> list:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in names.split() if name.endswith((".py", ".md", ".yaml", ".html", ".txt", ".toml"))]


def test_every_cited_markdown_document_is_in_the_repository():
    missing = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in set(CITED_FILE.findall(text)):
            if not name.endswith(".md") or name in WRITTEN_BY_THE_TOOL:
                continue
            candidates = [ROOT / name, path.parent / name, ROOT / "docs" / name]
            if not any(candidate.exists() for candidate in candidates):
                missing.append(f"{path.relative_to(ROOT)} cites {name}")
    assert not missing, "\n".join(sorted(missing))


def test_no_path_of_a_build_machine_anywhere():
    leaked = [str(path.relative_to(ROOT)) for path in tracked_text_files()
              if re.search(r"(?<![\w.])/(?:work|root|home/\w+)/", path.read_text(encoding="utf-8", errors="replace"))]
    assert not leaked, leaked
