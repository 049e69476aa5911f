import pytest
import torch

from msae.pyramid import build_pyramid, collapse, expand, level_shapes, reduce


def test_reduce_known_answer_1d():
    # A constant signal stays constant; a ramp is blurred symmetrically away from borders.
    x = torch.ones(1, 1, 8, dtype=torch.float64)
    assert torch.allclose(reduce(x), torch.ones(1, 1, 4, dtype=torch.float64))
    ramp = torch.arange(9, dtype=torch.float64).view(1, 1, 9)
    # Interior samples of a linear ramp are preserved by the symmetric binomial kernel.
    assert reduce(ramp)[0, 0, 1:4].tolist() == pytest.approx([2.0, 4.0, 6.0])


def test_reduce_known_answer_impulse_2d():
    x = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    x[0, 0, 2, 2] = 1.0
    g = reduce(x)
    assert g.shape == (1, 1, 3, 3)
    k = torch.tensor([1, 4, 6, 4, 1], dtype=torch.float64) / 16
    # The centre sample of the output sits on the impulse: weight 6/16 * 6/16.
    assert g[0, 0, 1, 1].item() == pytest.approx((k[2] * k[2]).item())
    assert g[0, 0, 0, 0].item() == pytest.approx((k[0] * k[0]).item())


@pytest.mark.parametrize("size", [(8, 8), (7, 7), (8, 7)])
def test_expand_of_constant_is_constant_up_to_the_borders(size):
    coarse = tuple((s + 1) // 2 for s in size)
    up = expand(torch.full((1, 1, *coarse), 0.7, dtype=torch.float64), size)
    assert up.shape[2:] == size
    assert torch.allclose(up, torch.full((1, 1, *size), 0.7, dtype=torch.float64))


@pytest.mark.parametrize(
    ("d", "shape", "levels"), [(784, (28, 28, 1), 2), (3072, (32, 32, 3), 3), (7, None, 2),
                               (617, None, 4), (256, (16, 16, 1), 3)]
)  # fmt: skip
def test_laplacian_pyramid_reconstructs_input_exactly(d, shape, levels):
    x = torch.rand(4, d, dtype=torch.float64)
    pyr = build_pyramid(x, levels, shape)
    assert len(pyr.gaussian) == len(pyr.laplacian) == levels + 1
    assert torch.allclose(collapse(pyr.laplacian, pyr.shapes), x, atol=1e-12)
    assert torch.equal(pyr.gaussian[0], x)
    assert torch.equal(pyr.laplacian[-1], pyr.gaussian[-1])


def test_level_shapes_and_value_range():
    assert level_shapes(784, 2, (28, 28, 1)) == [(1, 28, 28), (1, 14, 14), (1, 7, 7)]
    assert level_shapes(7, 3, None) == [(1, 7), (1, 4), (1, 2), (1, 1)]
    x = torch.rand(3, 784)
    for g in build_pyramid(x, 2, (28, 28, 1)).gaussian:
        assert g.min() >= 0 and g.max() <= 1


def test_wrong_image_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="has 100 values, but the input has 784"):
        build_pyramid(torch.rand(2, 784), 2, (10, 10, 1))


def test_colour_images_are_read_channel_last():
    # A 2 x 2 RGB image flattened as (H, W, C): red channel 1, green 0, blue 0.5 everywhere.
    pixel = torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64)
    x = pixel.repeat(4).view(1, 12)
    pyr = build_pyramid(x, 1, (2, 2, 3))
    assert pyr.shapes == [(3, 2, 2), (3, 1, 1)]
    torch.testing.assert_close(pyr.gaussian[1], pixel.view(1, 3))
    torch.testing.assert_close(pyr.laplacian[0], torch.zeros(1, 12, dtype=torch.float64))


@pytest.mark.parametrize("shape", [(3, 2, 7, 5), (4, 1, 9), (2, 3, 1, 6)])
def test_matrix_form_equals_the_convolution_definition(shape):
    """REDUCE and EXPAND run as products with per-axis matrices; they must equal blurring
    (replicated borders) + subsampling, and zero insertion + blurring, done directly."""
    from msae.pyramid import _blur_axis, _kernel, _upsample_axis

    x = torch.rand(shape, dtype=torch.float64)
    kernel = _kernel(x)
    direct = x
    for axis in range(2, x.dim()):
        direct = _blur_axis(direct, axis, kernel)
        direct = direct[(slice(None),) * axis + (slice(None, None, 2),)]
    torch.testing.assert_close(reduce(x), direct)

    up = direct
    for axis, target in zip(range(2, x.dim()), x.shape[2:], strict=True):
        up = _upsample_axis(up, axis, target, 2.0 * kernel)
    torch.testing.assert_close(expand(direct, x.shape[2:]), up)
