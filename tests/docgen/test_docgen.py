"""`segkit docs`: the committed generated pages are fresh, `--check` names stale files
(pictures by their stamp, without Graphviz) and writes nothing, writing repairs them
(keeping pictures without Graphviz; a failing dot is a user error), and a wrong data
file or a plugin that is not loaded is handled as the docs say."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from segkit.api import default_registry
from segkit.cli import main
from segkit.docgen import catalog, site, sync
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def found():
    return catalog.build(ROOT, default_registry())


@pytest.fixture(scope="module")
def generated(found):
    return site.assemble(found, ROOT, default_registry(), main)


def test_committed_generated_docs_are_fresh(generated):
    stale = sync.check(generated, ROOT).changed
    assert not stale, ("stale generated docs: " + ", ".join(stale)
                       + f"\nrun `{sync.COMMAND}` from the repository root and commit the result")


def test_every_shipped_spec_has_a_gallery_page_and_a_row(generated, found):
    names = set(catalog.shipped_specs(ROOT, default_registry()))
    assert {"refinenet", "pspnet", "backbones/resnet", "torchvision/fcn_resnet50", "ucnet"} <= names
    assert names == {s.name for s in found.specs}
    for name in names:
        assert f"docs/gallery/{name}.md" in generated.pages and f"docs/gallery/{name}.svg" in generated.pictures
        assert f"](gallery/{name}.md)" in generated.pages["docs/architectures.md"]
        assert f"](docs/gallery/{name}.md)" in generated.pages["README.md"]


def test_rows_show_segkits_figures_next_to_the_reference_and_the_difference(generated):
    assert "| 19,072,291 | 19,069,955 (segkit +2,336) |" in generated.pages["docs/architectures.md"]  # unet3d BN
    page = generated.pages["docs/gallery/refinenet.md"]
    assert "| `defaults` @ 3x512x512 | 118,052,437 | 118,052,437 | 262.90 | 262.9 |" in page
    assert "![graph of refinenet](refinenet.svg)" in page and "## Shapes at 3x512x512" in page


def _checkout_copy(tmp_path: Path) -> Path:
    """README, docs/ and the plugin folders' pyproject files: what `segkit docs` reads."""
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("examples"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for project in (ROOT / "plugins").glob("*/pyproject.toml"):
        (root / "plugins" / project.parent.name).mkdir(parents=True)
        shutil.copy(project, root / "plugins" / project.parent.name / "pyproject.toml")
    return root


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _damage(root: Path) -> None:
    (root / "docs/blocks/segkit.md").write_text("# hand-edited\n")
    (root / "docs/gallery/refinenet.svg").unlink()
    (root / "docs/gallery/gone.md").write_text("# a spec that no longer exists\n")


def test_check_names_the_stale_files_writes_nothing_and_exits_1(generated, tmp_path, monkeypatch):
    root = _checkout_copy(tmp_path)
    _damage(root)
    before = _digest(root)
    monkeypatch.setattr(site, "generate", lambda *args: generated)
    result = CliRunner().invoke(main, ["docs", "--check", "--root", str(root)])
    assert result.exit_code == 1
    for rel in ("docs/blocks/segkit.md", "docs/gallery/refinenet.svg", "docs/gallery/gone.md"):
        assert rel in result.stderr
    assert "run `segkit docs`" in result.stderr
    assert _digest(root) == before


def test_write_repairs_pages_and_keeps_pictures_when_dot_is_missing(generated, tmp_path, monkeypatch):
    root = _checkout_copy(tmp_path)
    _damage(root)
    pictures = {rel: digest for rel, digest in _digest(root).items() if rel.endswith(".svg")}
    monkeypatch.setattr(sync.shutil, "which", lambda name: None)
    outcome = sync.write(generated, root)
    assert (root / "docs/blocks/segkit.md").read_text() == generated.pages["docs/blocks/segkit.md"]
    assert not (root / "docs/gallery/gone.md").exists()
    assert any("dot is not installed" in note and "docs/gallery/refinenet.svg" in note for note in outcome.notes)
    assert {rel: d for rel, d in _digest(root).items() if rel.endswith(".svg")} == pictures
    assert sync.check(generated, root).changed == ["docs/gallery/refinenet.svg"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_write_renders_a_missing_picture_with_dot(generated, tmp_path):
    root = _checkout_copy(tmp_path)
    (root / "docs/gallery/refinenet.svg").unlink()
    outcome = sync.write(generated, root)
    assert "docs/gallery/refinenet.svg" in outcome.changed
    assert "<svg" in (root / "docs/gallery/refinenet.svg").read_text()
    assert not sync.check(generated, root).changed
    again = sync.write(generated, root).changed
    assert not [rel for rel in again if rel.endswith(".svg")]  # an unchanged graph is not redrawn


def test_check_names_a_picture_of_an_old_graph_by_its_stamp(generated, tmp_path):
    """No Graphviz needed: an SVG whose stamp is not its current DOT source's is stale,
    also when it exists."""
    root = _checkout_copy(tmp_path)
    picture = root / "docs/gallery/refinenet.svg"
    assert sync.stamp(generated.pictures["docs/gallery/refinenet.svg"]) in picture.read_text()
    picture.write_text(sync.stamp("digraph { old }") + "\n<svg/>\n")
    assert sync.check(generated, root).changed == ["docs/gallery/refinenet.svg"]


def test_a_failing_dot_is_a_user_error_naming_the_picture(generated, tmp_path, monkeypatch, failing_dot):
    root = _checkout_copy(tmp_path)
    (root / "docs/gallery/refinenet.svg").unlink()
    monkeypatch.setattr(site, "generate", lambda *args: generated)
    monkeypatch.setattr(sync.shutil, "which", lambda name: failing_dot)
    result = CliRunner().invoke(main, ["docs", "--root", str(root)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "docs/gallery/refinenet.svg: error: Graphviz's dot failed: Error: <stdin>: syntax error" in result.stderr


def _edit_data_file(root: Path, edit) -> None:
    path = root / "docs/architectures.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data["specs"])
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000))


def _docs_cli(root: Path):
    return CliRunner().invoke(main, ["docs", "--check", "--root", str(root)])


def test_data_file_naming_a_missing_spec_fails_loudly(tmp_path):
    root = _checkout_copy(tmp_path)
    _edit_data_file(root, lambda specs: specs.update(no_such_net={"citation": "x", "rows": [{"note": "x"}]}))
    result = _docs_cli(root)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "architectures.yaml:" in result.stderr and "'no_such_net', which does not exist" in result.stderr


def test_shipped_spec_without_an_entry_fails_loudly(tmp_path):
    root = _checkout_copy(tmp_path)
    _edit_data_file(root, lambda specs: specs.pop("unet_small"))
    result = _docs_cli(root)
    assert result.exit_code == 2 and "without an entry" in result.stderr and "unet_small" in result.stderr


def test_a_difference_without_a_note_fails(tmp_path):
    root = _checkout_copy(tmp_path)
    _edit_data_file(root, lambda specs: specs["fcn8s"]["rows"][0].pop("note"))  # 181.53 vs ~181.4
    result = _docs_cli(root)
    assert result.exit_code == 2
    assert "'fcn8s' (defaults) differs from its reference and has no note" in result.stderr


def test_outside_a_checkout_the_command_says_so(tmp_path):
    result = CliRunner().invoke(main, ["docs", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "not a segkit source checkout" in result.stderr
    assert "Traceback" not in result.output


def test_a_plugin_that_is_not_loaded_keeps_its_pages(found, generated, monkeypatch):
    monkeypatch.setenv("SEGKIT_PLUGINS", "segkit-crf")
    without = Registry.from_plugins(get_plugin_manager())
    assert catalog.build(ROOT, without).missing == {"segkit-saliency": ["ucnet"]}
    # the pages of the plugin-less catalog, from the already analysed specs
    reduced = catalog.Catalog([s for s in found.specs if s.name != "ucnet"], found.data,
                              ["segkit", "segkit-crf"], {"segkit-saliency": ["ucnet"]})
    partial = site.assemble(reduced, ROOT, without, main)
    kept = {"docs/blocks/segkit-saliency.md", "docs/gallery/ucnet.md", "docs/gallery/ucnet.svg",
            "docs/gallery/ucnet.graph.html", "docs/architectures.md", "docs/gallery/index.md", "README.md"}
    assert partial.kept == kept and not kept & set(partial.pages)
    assert any("segkit-saliency is not loaded" in note for note in partial.notes)
    reported = " ".join(sync.check(partial, ROOT).changed)
    assert not [rel for rel in kept if rel in reported]  # kept files are neither stale nor orphans
    assert partial.pages["docs/blocks/segkit.md"] == generated.pages["docs/blocks/segkit.md"]
    assert partial.pages["mkdocs.yml"] == generated.pages["mkdocs.yml"]  # the nav keeps the plugin's pages
