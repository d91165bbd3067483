"""The CRF does what DeepLab uses it for: it snaps blurred, noisy score maps to the image's
edges. Synthetic scene: two colour regions with a sharp curved boundary; the logits are
the ground truth's one-hot, shifted, Gaussian-blurred and noised (a coarse network's
upsampled scores)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from segkit_crf.meanfield import dense_crf
from segkit_crf.postprocess import CRFPostprocessor

SIZE = 40


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = int(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    g = g / g.sum()
    c = x.shape[1]
    x = F.pad(x, (radius,) * 4, mode="replicate")
    x = F.conv2d(x, g.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, g.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def scene(seed: int = 0):
    """(image in [0, 1] (1, 3, H, W), ground truth (H, W), noisy logits (1, 2, H, W))."""
    gen = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32),
                            indexing="ij")
    truth = ((yy - 18.0) ** 2 + (xx - 21.0) ** 2 < 11.5 ** 2).long()  # a disc on a background
    colours = torch.tensor([[0.80, 0.35, 0.25], [0.20, 0.45, 0.85]])
    image = colours[truth].permute(2, 0, 1)[None] + 0.02 * torch.randn(1, 3, SIZE, SIZE, generator=gen)
    image = image.clamp(0, 1)
    onehot = F.one_hot(truth, 2).permute(2, 0, 1)[None].float()
    coarse = torch.roll(onehot, shifts=(3, -3), dims=(2, 3))  # misaligned, as upsampled coarse scores are
    logits = 4.0 * gaussian_blur(coarse, sigma=3.0) - 2.0 + 1.0 * torch.randn(1, 2, SIZE, SIZE, generator=gen)
    return image, truth, logits


def miou(pred: torch.Tensor, truth: torch.Tensor, classes: int = 2) -> float:
    ious = []
    for c in range(classes):
        inter = ((pred == c) & (truth == c)).sum().item()
        union = ((pred == c) | (truth == c)).sum().item()
        ious.append(inter / union)
    return sum(ious) / classes


def test_crf_improves_iou_on_a_blurred_noisy_score_map():
    image, truth, logits = scene()
    before = miou(logits.argmax(1)[0], truth)
    refined = dense_crf(logits, image)  # DeepLab's defaults
    after = miou(refined.argmax(1)[0], truth)
    print(f"mIoU before CRF {before:.3f}, after {after:.3f}")
    assert before < 0.85  # the input really is poor
    assert after >= 0.97
    assert after - before >= 0.15


def test_output_is_log_probabilities_of_the_input_shape_and_dtype():
    image, _, logits = scene()
    out = dense_crf(logits.double(), image)
    assert out.shape == logits.shape and out.dtype == torch.float64
    assert torch.allclose(out.exp().sum(1), torch.ones(1, SIZE, SIZE, dtype=torch.float64))
    assert torch.allclose(dense_crf(logits, image, iterations=0), logits.log_softmax(1))


def test_deterministic_and_chunking_does_not_change_the_result():
    image, _, logits = scene(seed=1)
    first = dense_crf(logits, image)
    assert torch.equal(first, dense_crf(logits, image))
    chunked = dense_crf(logits, image, chunk=400)  # rebuilt in 4 chunks every iteration
    assert torch.allclose(first, chunked, atol=1e-4)
    assert torch.equal(chunked, dense_crf(logits, image, chunk=400))


def test_matches_a_naive_dense_reference():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(2, 3, 5, 7, generator=gen, dtype=torch.float64)
    image = torch.rand(2, 3, 5, 7, generator=gen, dtype=torch.float64)
    p = dict(iterations=3, w1=4.0, theta_alpha=3.0, theta_beta=40.0, w2=3.0, theta_gamma=1.5)
    ys, xs = torch.meshgrid(torch.arange(5.0, dtype=torch.float64), torch.arange(7.0, dtype=torch.float64),
                            indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], 1)
    want = []
    for b in range(2):
        col = image[b].reshape(3, -1).T * 255
        d_pos = torch.cdist(pos, pos) ** 2
        d_col = torch.cdist(col, col) ** 2
        k = p["w1"] * torch.exp(-d_pos / (2 * p["theta_alpha"] ** 2) - d_col / (2 * p["theta_beta"] ** 2)) \
            + p["w2"] * torch.exp(-d_pos / (2 * p["theta_gamma"] ** 2))
        k.fill_diagonal_(0)  # sum over j != i
        u = logits[b].reshape(3, -1)
        e = u
        for _ in range(p["iterations"]):
            q = e.softmax(0)
            pairwise = (k @ (1 - q).T).T  # Potts: sum_j k_ij sum_{l' != l} Q_j(l')
            e = u - pairwise
        want.append(e.log_softmax(0).reshape(3, 5, 7))
    assert torch.allclose(dense_crf(logits, image, **p), torch.stack(want), atol=1e-10)


def test_postprocessor_accepts_images_in_unit_range_and_in_0_255():
    image, truth, logits = scene()
    post = CRFPostprocessor()
    assert post.name == "crf"
    unit = post(logits, image)
    assert torch.allclose(unit, post(logits, image * 255), atol=1e-5)
    assert torch.equal(unit, dense_crf(logits, image))
    assert torch.allclose(CRFPostprocessor(image_scale=1.0)(logits, image * 255), unit, atol=1e-5)
    assert not unit.requires_grad


def test_postprocessor_errors_are_located_segkit_errors():
    import segkit

    image, _, logits = scene()
    with pytest.raises(segkit.SegkitError) as info:
        CRFPostprocessor()(logits[..., :-1], image)
    assert "--postprocess crf" in str(info.value) and "upsample" in info.value.hint
    with pytest.raises(segkit.SegkitError) as info:
        CRFPostprocessor(max_pixels=SIZE * SIZE - 1)(logits, image)
    assert "max_pixels" in info.value.message and "downsample" in info.value.hint
    with pytest.raises(segkit.SegkitError) as info:
        CRFPostprocessor()(logits, (image - 0.45) / 0.225)  # ImageNet-style normalised
    assert "normalised" in info.value.message


def test_spacing_keeps_the_stds_in_original_pixels():
    # Downsampling by 2 and setting spacing=2 equals running on a grid whose positions
    # are twice as far apart: the positional stds keep their meaning.
    image, _, logits = scene()
    small_image, small_logits = image[..., ::2, ::2], logits[..., ::2, ::2]
    a = dense_crf(small_logits, small_image, spacing=2.0)
    b = dense_crf(small_logits, small_image, theta_alpha=121.0 / 2, theta_gamma=3.0 / 2)
    assert torch.allclose(a, b, atol=1e-5)
    assert not math.isclose(a.sum().item(), dense_crf(small_logits, small_image).sum().item())
