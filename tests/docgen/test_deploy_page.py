"""docs/deploy.md shows `segkit sizes` output as it is: the page cannot drift from the
command."""
from pathlib import Path

from click.testing import CliRunner

from segkit.cli import main
from segkit.testing import make_registry

ROOT = Path(__file__).resolve().parents[2]


def test_the_sizes_example_is_what_the_command_prints(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["sizes", "specs/unet_small.yaml", "--near", "250x300"],
                                obj={"registry": make_registry()})
    assert result.exit_code == 0, result.output
    page = (ROOT / "docs" / "deploy.md").read_text()
    for line in result.output.strip().splitlines():
        assert line in page, line
