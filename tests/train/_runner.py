"""Runs ``segkit`` (the click CLI) in a subprocess with a fault injected, so the tests can
kill training at a precise moment with SIGKILL.

    python tests/train/_runner.py MODE FLAG_FILE segkit-args...

MODE:
  plain           no fault
  slow-save:E     the save of last.pt after epoch E writes half its bytes into the temp
                  file, creates FLAG_FILE and sleeps (killed there by the test)
  hang-epoch:E    during epoch E (1-based), after its second step, creates FLAG_FILE
                  and sleeps (killed mid-epoch by the test)
"""
import io
import os
import sys
import time


def flag_and_sleep(flag: str) -> None:
    with open(flag, "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(600)


def main() -> None:
    mode, flag, *args = sys.argv[1:]
    kind, _, value = mode.partition(":")
    if kind == "slow-save":
        import torch

        epoch = int(value)
        real_save = torch.save

        def slow_save(obj, f, *a, **k):
            if isinstance(obj, dict) and obj.get("format") == "segkit-train-1" and obj.get("epoch") == epoch:
                buffer = io.BytesIO()
                real_save(obj, buffer, *a, **k)
                data = buffer.getvalue()
                f.write(data[: len(data) // 2])
                f.flush()
                os.fsync(f.fileno())
                flag_and_sleep(flag)
            return real_save(obj, f, *a, **k)

        torch.save = slow_save
    elif kind == "hang-epoch":
        from segkit.train.trainer import Trainer

        epoch = int(value)
        real_step = Trainer.step

        def step(self, images, masks):
            loss = real_step(self, images, masks)
            if self.epoch + 1 == epoch and self.iteration - self.epoch * self.iters_per_epoch == 2:
                flag_and_sleep(flag)
            return loss

        Trainer.step = step
    elif kind != "plain":
        raise SystemExit(f"unknown mode {mode}")
    from segkit.cli import main as cli

    cli(args, prog_name="segkit")


if __name__ == "__main__":
    main()
