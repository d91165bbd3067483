"""The documentation site: it builds with `mkdocs build --strict`, every page is in the
nav, code shown on a page is the tested file it names, the commands' shown output is
what they print, and the getting-started examples run."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from segkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = r"```\w*\n(?P<body>.*?)```\n"
INCLUDE = re.compile(r"<!-- include: (?P<path>[^ ]+) -->\n" + FENCE, re.S)
OUTPUT = re.compile(r"<!-- output: (?P<command>[^\n]+?) -->\n" + FENCE, re.S)
INSTALL = 'pip install -e ".[dev]" && segkit build specs/refinenet.yaml'
CPU_TORCH = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"
PLUGINS = "pip install -e plugins/segkit-crf -e plugins/segkit-saliency"
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's notice about its successor


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_site_builds_strict_without_warnings(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, env=BUILD_ENV)
    log = out.stdout + out.stderr
    assert out.returncode == 0 and "WARNING" not in log, log[-3000:]
    built = tmp_path / "site"
    assert "# yaml-language-server: $schema=" in (built / "spec-language.html").read_text()
    gallery = (built / "gallery" / "refinenet.html").read_text()
    assert 'href="refinenet.svg"' in gallery and 'src="refinenet.graph.html"' in gallery
    assert (built / "gallery" / "refinenet.svg").is_file() and (built / "gallery" / "refinenet.graph.html").is_file()
    api = (built / "api.html").read_text()
    assert "segkit.api.check" in api and "segkit.plugin" in api  # mkdocstrings rendered the docstrings


def _nav_pages(items) -> set[str]:
    found = set()
    for item in items:
        for value in (item.values() if isinstance(item, dict) else [item]):
            found |= _nav_pages(value) if isinstance(value, list) else {value}
    return found


def test_every_top_level_block_and_gallery_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["docs_dir"] == "docs"
    pages = {p.relative_to(DOCS).as_posix() for p in [*DOCS.glob("*.md"), *DOCS.glob("blocks/**/*.md"),
                                                       *DOCS.glob("gallery/**/*.md")]}
    missing = pages - _nav_pages(config["nav"])
    assert not missing, f"add these pages to the nav in mkdocs.yml: {sorted(missing)}"


def test_shown_code_is_the_file_it_names():
    shown = 0
    for page in _pages():
        for block in INCLUDE.finditer(page.read_text()):
            assert block["body"] == (ROOT / block["path"]).read_text(), \
                f"{page.relative_to(ROOT)} shows an out-of-date copy of {block['path']}"
            shown += 1
    assert shown >= 8  # the plugin tutorial's files and the getting-started examples


def test_shown_output_is_what_the_command_prints():
    blocks = [b for page in _pages() for b in OUTPUT.finditer(page.read_text())]
    assert blocks
    for block in blocks:
        words = shlex.split(block["command"])
        assert words[0] == "segkit"
        out = subprocess.run([sys.executable, "-m", "segkit", *words[1:]], cwd=ROOT, capture_output=True, text=True)
        assert (out.stdout + out.stderr).strip() == block["body"].strip(), block["command"]


def test_readme_and_getting_started_say_the_same_install_steps_in_order():
    """The CPU wheels come before the command that would otherwise pull CUDA's, and the
    plugins before pytest; README and the getting-started page have the same section."""
    steps = [f"```bash\n{CPU_TORCH}\n```", f"```bash\n{INSTALL}\n```", f"```bash\n{PLUGINS}\n```",
             "```bash\npytest\n```"]
    sections = []
    for page in (ROOT / "README.md", DOCS / "index.md"):
        text = page.read_text()
        assert all(step in text for step in steps), page.name
        assert sorted(steps, key=text.index) == steps, page.name
        sections.append(text[text.index("## Install and test"):text.index("are skipped where no GPU")])
    assert sections[0] == sections[1]
    assert "Graphviz" in sections[0] and "cannot be reached" in sections[0]


def test_first_spec_checks_builds_and_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from segkit.api import default_registry
    from segkit.lang.json_schema import spec_schema

    spec = "docs/examples/tiny_fcn.yaml"
    assert (ROOT / spec).read_text().startswith("# yaml-language-server: $schema=")
    jsonschema.validate(yaml.safe_load((ROOT / spec).read_text()), spec_schema(default_registry()))
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(ROOT / spec), "--input", "3x512x512"])
    assert checked.exit_code == 0 and "21x512x512" in checked.output
    built = runner.invoke(main, ["build", str(ROOT / spec), "--set", "num_classes=19", "--code"])
    assert built.exit_code == 0 and "def forward" in built.output and "19x" in built.output


def test_python_example_runs():
    out = subprocess.run([sys.executable, "docs/examples/first_steps.py"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "(1, 19, 256, 256)"
