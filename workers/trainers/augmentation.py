"""Batched data augmentation on the training device (no per-sample DataLoader work)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from api_schemas import DataAugmentation


def augment_images(
    batch: torch.Tensor, spec: DataAugmentation, generator: torch.Generator
) -> torch.Tensor:
    """``batch`` is (N, C, H, W). Crop after padding, flip, rotate: each image its own draw."""
    n, _, height, width = batch.shape
    device = batch.device
    if spec.crop_padding:
        pad = spec.crop_padding
        padded = F.pad(batch, (pad, pad, pad, pad))
        # One gather for the whole batch: each image's window starts at its own offset.
        dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=device)
        dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=device)
        rows = (dy[:, None] + torch.arange(height, device=device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(width, device=device))[:, None, None, :]
        index = torch.arange(n, device=device)[:, None, None, None]
        channel = torch.arange(batch.shape[1], device=device)[None, :, None, None]
        batch = padded[index, channel, rows, cols]
    if spec.flip_probability:
        flip = torch.rand(n, generator=generator, device=device) < spec.flip_probability
        batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
    if spec.rotation_degrees:
        angle = (torch.rand(n, generator=generator, device=device) * 2 - 1) * math.radians(
            spec.rotation_degrees
        )
        cos, sin = torch.cos(angle), torch.sin(angle)
        zero = torch.zeros_like(cos)
        theta = torch.stack(
            [torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1
        )
        grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
        batch = F.grid_sample(batch, grid, align_corners=False, padding_mode="zeros")
    if spec.noise_std:
        batch = batch + spec.noise_std * torch.randn(
            batch.shape, generator=generator, device=device
        )
    return batch


def augment_table(
    batch: torch.Tensor, spec: DataAugmentation, generator: torch.Generator
) -> torch.Tensor:
    """Gaussian input noise, in standard deviations of each (standardized) feature."""
    noise = torch.randn(batch.shape, generator=generator, device=batch.device)
    return batch + spec.noise_std * noise
