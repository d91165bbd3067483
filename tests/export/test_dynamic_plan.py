"""The torch-free plan of a dynamic export: sizes to check, torch.export's symbolic
dims, predict's pad/crop plan, the TensorRT profile, the stored metadata."""
from __future__ import annotations

from segkit.analysis.size_rule import SizeRule
from segkit.export import dynamic as plan

MULTIPLE_16 = SizeRule(16, 16, (0,))
TWO_RESIDUES = SizeRule(31, 32, (0, 31))
ANY = SizeRule(1, 1, (0,))


def test_at_least_is_the_next_accepted_size():
    assert [MULTIPLE_16.at_least(s) for s in (1, 16, 17, 500)] == [16, 16, 32, 512]
    assert [TWO_RESIDUES.at_least(s) for s in (1, 32, 33, 500)] == [31, 32, 63, 511]
    assert SizeRule(None, 1, (), also=(4, 6)).at_least(5) == 6
    assert SizeRule(None, 1, (), also=(4,)).at_least(5) is None


def test_residue_class_keeps_the_example_sizes_class():
    assert TWO_RESIDUES.residue_class(64) == SizeRule(32, 32, (0,))
    assert TWO_RESIDUES.residue_class(63) == SizeRule(31, 32, (31,))
    assert MULTIPLE_16.residue_class(64) is MULTIPLE_16


def test_probe_sizes_are_three_accepted_sizes_differing_per_dim():
    sizes = plan.probe_sizes([MULTIPLE_16, MULTIPLE_16], (64, 48))
    assert sizes == [(64, 48), (80, 64), (96, 48)]
    assert all(MULTIPLE_16.accepts(s) for size in sizes for s in size)
    assert len(plan.probe_sizes([ANY], (7,))) == 3


def test_symbolic_dims_state_period_residue_and_bounds():
    (h,) = plan.symbolic_dims([TWO_RESIDUES], (63,), max_size=1024)
    assert (h.period, h.residue, h.minimum, h.maximum) == (32, 31, 31, 1023)
    (w,) = plan.symbolic_dims([ANY], (5,), max_size=100)
    assert (w.period, w.minimum, w.maximum) == (1, 2, 100)  # torch.export specialises 0 and 1


def test_pad_plan_is_what_predict_applies():
    text = plan.pad_plan([MULTIPLE_16, MULTIPLE_16], (500, 375)).describe()
    assert text == "500x375: zero-pad to 512x384 (12 bottom, 9 right), run the model, crop the logits back to 500x375"
    assert "as is" in plan.pad_plan([MULTIPLE_16] * 2, (512, 384)).describe()
    assert plan.pad_plan([SizeRule(None, 1, (), also=(4,))], (5,)).padded is None


def test_trt_profile_spans_the_accepted_sizes():
    line = plan.trt_profile("image", 3, [MULTIPLE_16, MULTIPLE_16], (500, 375), max_size=1000)
    assert line == ("--minShapes=image:1x3x16x16 --optShapes=image:1x3x512x384 "
                    "--maxShapes=image:1x3x992x992")
    assert plan.trt_profile("x", 1, [SizeRule(None, 1, ())], (5,)) is None


def test_metadata_names_the_exported_rule_and_the_spec_rule_when_wider():
    rules = [TWO_RESIDUES, TWO_RESIDUES]
    exported = plan.exported_rules(rules, (64, 64))
    stored = plan.metadata(rules, exported)
    assert stored[plan.METADATA_KEY] == "H, W a multiple of 32, >= 32"
    assert stored["segkit.spec_accepted_sizes"] == "H, W = 0, 31 (mod 32), >= 31"
    assert plan.metadata(rules) == {plan.METADATA_KEY: "H, W = 0, 31 (mod 32), >= 31"}
