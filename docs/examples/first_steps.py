"""The Python API on the getting-started page's first spec: check it without torch,
build it, run it. Run from the repository root: python docs/examples/first_steps.py"""
import torch

import segkit

SPEC = "docs/examples/tiny_fcn.yaml"

report = segkit.check(SPEC, input="3x256x256")           # torch-free: shapes, params, MACs
print(report.params, report.macs, report.describe_sizes())
model = segkit.build(SPEC, num_classes=19)               # a torch.fx.GraphModule
print(model.code)                                        # the generated forward
scores = model.eval()(torch.randn(1, 3, 256, 256))
print(tuple(scores.shape))                               # (1, 19, 256, 256)
