"""Messages a newcomer meets first: a missing image fails before torch and the checkpoint
load, counts agree with their nouns, and the --input hint is a size that works."""
from __future__ import annotations

import subprocess
import sys

from segkit.views.wording import counted


def test_predict_names_a_missing_image_before_importing_torch():
    code = ("import sys\nfrom segkit.cli import main\n"
            "try:\n    main(['predict', 'unet_small', 'nothere.png', '--weights', 'nothere.pt'])\n"
            "except SystemExit as exc:\n    print('exit', exc.code, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "exit 2 False", out.stdout + out.stderr
    assert out.stderr.startswith("nothere.png: error: image file does not exist")


def test_counted_agrees_with_its_number():
    assert [counted(n, "epoch") for n in (0, 1, 2, 1500)] == ["0 epochs", "1 epoch", "2 epochs", "1,500 epochs"]
    assert counted(1, "image") == "1 image" and counted(3, "index", "indices") == "3 indices"
