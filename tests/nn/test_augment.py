"""Tests of the training-time augmentation of spectra_sklearn.nn."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spectra_sklearn.nn.modules import SpectrumAugmenter, shift_pixels


@settings(max_examples=40, deadline=None)
@given(n_pixels=st.integers(2, 40), shift=st.integers(-5, 5), seed=st.integers(0, 999))
def test_integer_shift_moves_pixels_and_repeats_the_edge(n_pixels, shift, seed):
    x = torch.as_tensor(np.random.default_rng(seed).normal(size=(1, 2, n_pixels)))
    out = shift_pixels(x, torch.tensor([float(shift)]))
    source = np.clip(np.arange(n_pixels) - shift, 0, n_pixels - 1)
    np.testing.assert_allclose(out.numpy(), x.numpy()[:, :, source], atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-3, 3), seed=st.integers(0, 999))
def test_fractional_shift_of_a_straight_line_is_exact_inside(shift, seed):
    rng = np.random.default_rng(seed)
    slope, intercept = rng.normal(size=2)
    pixels = torch.arange(30, dtype=torch.float64)
    x = (intercept + slope * pixels)[None, None, :]
    out = shift_pixels(x, torch.tensor([shift], dtype=torch.float64))[0, 0]
    inside = slice(4, 26)
    expected = intercept + slope * (pixels - shift)
    np.testing.assert_allclose(out[inside].numpy(), expected[inside].numpy(), atol=1e-9)


def test_noise_follows_the_uncertainty_and_only_while_training():
    torch.manual_seed(0)
    flux = torch.ones(4000, 3)
    sigma = torch.tensor([0.1, 0.5, 0.0])
    ivar = torch.where(sigma > 0, 1 / sigma.clamp(min=1e-9) ** 2, torch.zeros(3))
    ivar = ivar.expand(4000, 3).contiguous()
    augment = SpectrumAugmenter(noise_scale=2.0)
    noisy, same_ivar = augment(flux, ivar)
    assert same_ivar is ivar
    np.testing.assert_allclose(noisy.std(dim=0).numpy(), [0.2, 1.0, 0.0], rtol=0.06)
    augment.eval()
    out, _ = augment(flux, ivar)
    assert torch.equal(out, flux)


def test_no_ivar_no_noise_but_shifts():
    torch.manual_seed(0)
    flux = torch.arange(10.0).repeat(50, 1)
    out, ivar = SpectrumAugmenter(noise_scale=1.0, max_shift=2.0)(flux, None)
    assert ivar is None
    differences = out - flux
    # each row is shifted by one amount in [-2, 2]: constant inside the row
    inner = differences[:, 3:7]
    assert torch.allclose(inner, inner[:, :1].expand_as(inner), atol=1e-5)
    assert inner.abs().max() <= 2.0 + 1e-6 and inner.abs().max() > 0.5
