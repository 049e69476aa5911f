"""Gaussian and Laplacian pyramids (Burt and Adelson 1983) of flattened inputs, 1-D or 2-D.

``G_0`` is the input, ``G_{k+1} = REDUCE(G_k)`` (blur with the 5-tap binomial kernel
[1, 4, 6, 4, 1] / 16, then keep every second sample: Eq. 4 of the paper), and
``LP_k = G_k - EXPAND(G_{k+1})`` for ``k < N`` with ``LP_N = G_N`` (Eq. 6). ``EXPAND`` inserts
zeros between samples and blurs with twice the kernel per axis (Eq. 5), so that constants stay
constant. Because each ``LP_k`` is
defined as a difference, ``G_k = LP_k + EXPAND(G_{k+1})`` holds exactly and :func:`collapse`
recovers the input from its Laplacian pyramid.

Images are flattened channel-last, i.e. ``x.reshape(H, W, C)`` with ``image_shape = (H, W, C)``
(C = 1 for grey images; :mod:`msae.data` lays CIFAR-10 out this way); every level is flattened
the same way. Vector data (no image
shape) gets a 1-D pyramid along the feature axis. Borders are padded by replication, which keeps
values of [0, 1] data inside [0, 1] and works for axes as short as one sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)


def _kernel(like: Tensor) -> Tensor:
    k = torch.tensor(_BINOMIAL, dtype=like.dtype, device=like.device)
    return k / k.sum()


def _blur_axis(x: Tensor, axis: int, kernel: Tensor) -> Tensor:
    """Convolve every channel of ``x`` (n, C, *spatial) along one spatial axis."""
    moved = x.movedim(axis, -1)
    shape = moved.shape
    flat = moved.reshape(-1, 1, shape[-1])
    flat = F.pad(flat, (2, 2), mode="replicate")
    out = F.conv1d(flat, kernel.view(1, 1, -1))
    return out.reshape(shape).movedim(-1, axis)


def _upsample_axis(x: Tensor, axis: int, target: int, kernel: Tensor) -> Tensor:
    """Zero insertion + blur along one axis, after replicating one coarse sample at the left
    border and two at the right, so that every output sample sees a full kernel."""
    moved = x.movedim(axis, -1)
    shape = moved.shape
    flat = F.pad(moved.reshape(-1, 1, shape[-1]), (1, 2), mode="replicate")
    up = flat.new_zeros(flat.shape[0], 1, 2 * flat.shape[-1] - 1)
    up[..., ::2] = flat
    out = F.conv1d(up, kernel.view(1, 1, -1))[..., :target]
    return out.reshape(*shape[:-1], target).movedim(-1, axis)


# REDUCE and EXPAND are linear along each axis. The convolutions above define them; applying
# them to an identity matrix gives the (length x new length) matrix of each step, and the
# pyramid applies those matrices with matrix products: a 1-channel conv1d over 60000 x 28 rows
# of 28 samples was 16 times slower on MNIST (`bench/bench_pyramid.py`: 8.0 s against 0.5 s).
def _reduce_matrix(length: int, like: Tensor) -> Tensor:
    eye = torch.eye(length, dtype=like.dtype, device=like.device)[:, None, :]
    return _blur_axis(eye, 2, _kernel(like))[..., ::2].reshape(length, -1)


def _expand_matrix(length: int, target: int, like: Tensor) -> Tensor:
    eye = torch.eye(length, dtype=like.dtype, device=like.device)[:, None, :]
    return _upsample_axis(eye, 2, target, 2.0 * _kernel(like)).reshape(length, target)


def _apply_along(x: Tensor, axis: int, matrix: Tensor) -> Tensor:
    """``matrix`` applied along one axis of ``x``, as one 2-D product (a batched product over
    a non-contiguous view would loop over the samples)."""
    moved = x.movedim(axis, -1)
    out = moved.reshape(-1, moved.shape[-1]) @ matrix
    return out.view(*moved.shape[:-1], matrix.shape[1]).movedim(-1, axis)


def _spatial_axes(x: Tensor) -> range:
    return range(2, x.dim())


def reduce(x: Tensor) -> Tensor:
    """One REDUCE step on ``x`` of shape (n, C, *spatial): blur, then subsample by two."""
    for axis in _spatial_axes(x):
        x = _apply_along(x, axis, _reduce_matrix(x.shape[axis], x))
    return x


def expand(x: Tensor, size: tuple[int, ...]) -> Tensor:
    """One EXPAND step: upsample ``x`` (n, C, *spatial) to ``size`` by zero insertion + blur."""
    for axis, target in zip(_spatial_axes(x), size, strict=True):
        x = _apply_along(x, axis, _expand_matrix(x.shape[axis], target, x))
    return x


@dataclass(frozen=True)
class Pyramid:
    """Gaussian and Laplacian levels ``0..N``, each flattened to (n, d_k)."""

    gaussian: list[Tensor]
    laplacian: list[Tensor]
    shapes: list[tuple[int, ...]]  # (C, *spatial) of each level


def level_shapes(n_features: int, levels: int, image_shape: tuple[int, ...] | None) -> list[tuple]:
    """(C, *spatial) shape of each of the ``levels + 1`` pyramid levels."""
    if image_shape is None:
        shape: tuple[int, ...] = (1, n_features)
    else:
        height, width, channels = image_shape
        if height * width * channels != n_features:
            raise ValueError(
                f"image_shape {tuple(image_shape)} has {height * width * channels} values, "
                f"but the input has {n_features} features"
            )
        shape = (channels, height, width)
    shapes = [shape]
    for _ in range(levels):
        shape = (shape[0], *((s + 1) // 2 for s in shape[1:]))
        shapes.append(shape)
    return shapes


def _unflatten(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """(n, d) rows laid out channel-last -> (n, C, *spatial)."""
    channels, *spatial = shape
    return x.reshape(x.shape[0], *spatial, channels).movedim(-1, 1)


def _flatten(x: Tensor) -> Tensor:
    """(n, C, *spatial) -> (n, d) rows laid out channel-last."""
    return x.movedim(1, -1).reshape(x.shape[0], -1)


def build_pyramid(x: Tensor, levels: int, image_shape: tuple[int, ...] | None = None) -> Pyramid:
    """Gaussian and Laplacian pyramids with ``levels`` reductions of ``x`` (n, d)."""
    if levels < 0:
        raise ValueError(f"levels must be >= 0, got {levels}")
    shapes = level_shapes(x.shape[1], levels, image_shape)
    current = _unflatten(x, shapes[0])
    gaussian = [current]
    for _ in range(levels):
        current = reduce(current)
        gaussian.append(current)
    laplacian = [
        g - expand(g_next, shape[1:])
        for g, g_next, shape in zip(gaussian[:-1], gaussian[1:], shapes[:-1], strict=True)
    ]
    laplacian.append(gaussian[-1])
    return Pyramid([_flatten(t) for t in gaussian], [_flatten(t) for t in laplacian], shapes)


def collapse(laplacian: list[Tensor], shapes: list[tuple[int, ...]]) -> Tensor:
    """Invert a Laplacian pyramid: ``G_N = LP_N``, ``G_k = LP_k + EXPAND(G_{k+1})``."""
    current = _unflatten(laplacian[-1], shapes[-1])
    for lp, shape in zip(reversed(laplacian[:-1]), reversed(shapes[:-1]), strict=True):
        current = _unflatten(lp, shape) + expand(current, shape[1:])
    return _flatten(current)
