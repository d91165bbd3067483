"""The lazily loaded command group: its table names every command where it lives, and
``segkit check`` imports neither the command modules it does not run nor torch."""
import importlib
import subprocess
import sys

from segkit.cli.group import COMMAND_MODULES, main

MODULES = sorted(set(COMMAND_MODULES.values()))


def test_the_table_is_every_command_of_every_module():
    defined = {command.name: module for module in MODULES
               for command in importlib.import_module(f"segkit.cli.{module}").COMMANDS}
    assert defined == COMMAND_MODULES


def test_every_command_is_found_and_an_unknown_one_is_not():
    ctx = main.make_context("segkit", ["--help"], resilient_parsing=True)
    for name in main.list_commands(ctx):
        assert main.get_command(ctx, name).name == name
    assert main.get_command(ctx, "nope") is None


def test_check_loads_only_its_own_command_module(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text("segkit: 1\nname: tiny\ninputs:\n  image: {channels: 3, size: 8}\n"
                    "nodes:\n  c: {block: conv, from: image, out: 2, kernel: 3, padding: 1}\noutputs:\n  out: c\n")
    probe = ("import sys\nfrom segkit.cli import main\n"
             f"try:\n    main(['check', {str(spec)!r}])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
             "loaded = sorted(m for m in sys.modules if m.startswith('segkit.cli.') or m == 'torch')\n"
             "print(' '.join(loaded))\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.splitlines()[-1].split())
    assert "torch" not in loaded
    assert "segkit.cli.check" in loaded
    assert not {f"segkit.cli.{m}" for m in MODULES if m != "check"} & loaded, loaded
