"""The ``ucnet`` spec through a fresh plugin manager: static check against the official
parameter counts, training graph (posterior) and test graph (prior) from one spec,
forward + backward, and the ``kl_gaussian`` loss."""
from __future__ import annotations

import pytest
import torch
from segkit_saliency.losses import KLGaussianLoss, kl_gaussian

import segkit

SIZE = 64
INPUT = {"rgb": f"3x{SIZE}x{SIZE}", "depth": f"1x{SIZE}x{SIZE}", "gt": f"1x{SIZE}x{SIZE}"}
KL_OUTPUTS = ("prior_mu", "prior_logvar", "post_mu", "post_logvar")

# Parameter counts of the official code (JingZhang617/UCNet, Generator(channel=32,
# latent_dim=3)), counted from its modules: 31,263,307 in all, of which its unused
# layer5 (2048 -> 32) and layer7 (32 -> 1) Classifier_Modules hold 2,360,580; with the
# depth read as 3 channels. The 1-channel depth of this spec takes 11,326 fewer
# (stem conv 3x3x2x3 = 54, encoder first convs 2 x 2 x 32 x 16 = 2,048, depth head
# 4 x 2 x 128 x 9 + 2 x 4 = 9,224).
OFFICIAL_USED_3CH = 31_263_307 - 2_360_580
OFFICIAL_USED_1CH = OFFICIAL_USED_3CH - 54 - 2_048 - 9_224
OFFICIAL_POSTERIOR_1CH = 1_927_334


def batch(seed=0, n=2):
    g = torch.Generator().manual_seed(seed)
    rgb = torch.randn(n, 3, SIZE, SIZE, generator=g)
    depth = torch.rand(n, 1, SIZE, SIZE, generator=g)
    mask = (torch.rand(n, SIZE, SIZE, generator=g) > 0.5).long()
    return rgb, depth, mask


@pytest.fixture(scope="module")
def train_model(registry):
    torch.manual_seed(0)
    return segkit.build("ucnet", input=INPUT, registry=registry, sample_eval=False)


def test_check_matches_the_official_parameter_counts(registry):
    report = segkit.check("ucnet", registry=registry)                      # 352 x 352 as the paper
    assert report.params == OFFICIAL_USED_1CH == 28_891_401 and not report.warnings
    assert segkit.check("ucnet", registry=registry, depth_channels=3).params == OFFICIAL_USED_3CH
    assert report.outputs["out"] == segkit.Shape(1, (352, 352))
    assert report.outputs["prior_mu"] == report.outputs["post_logvar"] == segkit.Shape(3, (1, 1))
    assert report.graph.train_outputs == {"depth", *KL_OUTPUTS}
    test = segkit.check("ucnet", registry=registry, mode="test")
    assert test.params == OFFICIAL_USED_1CH - OFFICIAL_POSTERIOR_1CH
    assert not [n for n in test.graph.nodes if n.startswith("posterior.")] and not test.warnings
    assert segkit.check("ucnet", registry=registry, latent_dim=6).outputs["post_mu"].channels == 6
    with pytest.raises(segkit.SegkitError):
        segkit.check("ucnet", registry=registry, mode="val")


def test_train_mode_decodes_the_posterior_and_trains_every_part(train_model):
    model = train_model.train()
    rgb, depth, mask = batch()
    gt = mask[:, None].float()
    model.zero_grad()
    torch.manual_seed(1)
    out = model(rgb, depth, gt)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "out": (2, 1, SIZE, SIZE), "depth": (2, 1, SIZE, SIZE), **{k: (2, 3, 1, 1) for k in KL_OUTPUTS}}
    loss_fn = KLGaussianLoss(kl_weight=10.0)
    loss = loss_fn(out, mask, depth=depth)
    assert torch.isfinite(loss) and set(loss_fn.last) == {"loss", "sal", "kl", "depth"}
    loss.backward()
    for name in ("prior.layer1.weight", "prior.mu.weight", "posterior.layer1.weight", "posterior.logvar.weight",
                 "stem.conv.weight", "enc.layer4.2.conv3.weight", "aspp1.classify.weight",
                 "rcab4321.ca.fc1.weight", "sal_head.c0.weight", "depth_head.c3.weight"):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name
    # the decoder reads the posterior: another gt changes the prediction (same noise)
    with torch.no_grad():
        torch.manual_seed(1)
        other = model(rgb, depth, 1 - gt)["out"]
    assert not torch.allclose(other, out["out"])


def test_eval_mode_decodes_the_prior(train_model):
    model = train_model.eval()
    rgb, depth, mask = batch(1)
    model.zero_grad()
    out = model(rgb, depth, mask[:, None].float())
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1, SIZE, SIZE)
    with torch.no_grad():
        assert torch.equal(model(rgb, depth, torch.zeros(2, 1, SIZE, SIZE)), out)  # gt plays no part
    out.sigmoid().mean().backward()
    assert model.get_parameter("prior.layer1.weight").grad.abs().sum() > 0
    assert model.get_parameter("enc.conv1.weight").grad.abs().sum() > 0
    assert model.get_parameter("posterior.layer1.weight").grad is None
    train_model.train()


def test_test_graph_is_the_prior_branch_with_the_same_weights(registry, train_model):
    test_model = segkit.build("ucnet", input=INPUT, registry=registry, mode="test", sample_eval=False)
    result = test_model.load_state_dict(train_model.state_dict(), strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys and all(k.startswith("posterior.") for k in result.unexpected_keys)
    rgb, depth, mask = batch(2)
    train_model.eval()
    test_model.eval()
    with torch.no_grad():
        expected = train_model(rgb, depth, mask[:, None].float())
        got = test_model(rgb, depth, None)                                  # no gt at test time
    torch.testing.assert_close(got, expected)
    # training the test graph: the KL inputs are the prior's own, so the KL term is 0
    test_model.train()
    out = test_model(rgb, depth, None)
    assert torch.equal(out["post_mu"], out["prior_mu"]) and torch.equal(out["post_logvar"], out["prior_logvar"])
    loss_fn = KLGaussianLoss()
    loss_fn(out, mask).backward()
    assert loss_fn.last["kl"] == 0
    train_model.train()


def test_kl_gaussian_by_hand_nonnegative_and_zero_at_equality():
    # KL(N(1, 1) || N(0, 1)) = 1/2 per dim; KL(N(0, e) || N(0, 1)) = (e - 1 - 1) / 2
    zeros = torch.zeros(1, 3, 1, 1)
    assert kl_gaussian(zeros + 1, zeros, zeros, zeros).item() == pytest.approx(1.5)
    assert kl_gaussian(zeros, zeros + 1, zeros, zeros).item() == pytest.approx(3 * (torch.e - 2) / 2)
    g = torch.Generator().manual_seed(0)
    mu_q, lv_q, mu_p, lv_p = (torch.randn(64, 3, 1, 1, generator=g) for _ in range(4))
    kl = kl_gaussian(mu_q, lv_q, mu_p, lv_p)
    assert kl.shape == (64,) and bool((kl >= 0).all()) and kl.sum() > 0
    assert torch.equal(kl_gaussian(mu_q, lv_q, mu_q, lv_q), torch.zeros(64))
    reference = torch.distributions.kl_divergence(
        torch.distributions.Independent(torch.distributions.Normal(mu_q.flatten(1), (0.5 * lv_q).exp().flatten(1)), 1),
        torch.distributions.Independent(torch.distributions.Normal(mu_p.flatten(1), (0.5 * lv_p).exp().flatten(1)), 1))
    torch.testing.assert_close(kl, reference)


def test_kl_gaussian_loss_terms(registry):
    factory = registry.get("loss", "kl_gaussian")
    loss_fn = factory(ignore_index=255, aux_weight=0.4)                    # as segkit train calls it
    logits = torch.zeros(2, 1, 4, 4)
    target = torch.zeros(2, 4, 4, dtype=torch.long)
    target[:, 0, 0] = 255                                                  # ignored pixels
    stats = {k: torch.zeros(2, 3, 1, 1) for k in KL_OUTPUTS}
    assert loss_fn({"out": logits, **stats}, target).item() == pytest.approx(torch.log(torch.tensor(2.0)).item())
    assert loss_fn.last["kl"] == 0
    stats["post_mu"] = torch.ones(2, 3, 1, 1)
    loss = loss_fn({"out": logits, **stats}, target)
    assert loss.item() == pytest.approx(torch.log(torch.tensor(2.0)).item() + 1.5)
    assert loss_fn(logits, target.float()[:, None].clamp(max=1)).item() > 0  # eval output: BCE only
    structure = KLGaussianLoss(sal_loss="structure")({"out": logits, **stats}, target)
    assert torch.isfinite(structure)


def test_accepted_sizes_are_derived_and_exact(registry):
    """reparameterize and train_switch have symbolic size rules, so the sizes UC-Net
    accepts are derived (no bound), and they are exactly the sizes inference accepts."""
    from segkit.analysis.scan import at_size, valid

    report = segkit.check("ucnet", registry=registry)
    (rule, _) = report.accepted_sizes
    assert rule.bound is None and report.describe_sizes() == "H, W >= 32"
    memo = {}
    for size in range(1, 3 * 32 + 1):
        assert rule.accepts(size) == valid(report.graph, at_size(report.input_shapes, (0, 1), size), memo), size
