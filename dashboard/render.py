"""Pixels for people: images scaled up crisply (nearest neighbour) and difference heatmaps."""
from __future__ import annotations

import numpy as np
from PIL import Image

DISPLAY_PX = 168  # on-screen side of an inspected image


def to_pil(img: np.ndarray, px: int = DISPLAY_PX) -> Image.Image:
    """(C, H, W) in [0, 1] -> an RGB/L image scaled up by an integer factor, nearest neighbour."""
    arr = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
    arr = (arr * 255 + 0.5).astype(np.uint8)
    pil = Image.fromarray(arr[0], "L") if arr.shape[0] == 1 else Image.fromarray(arr.transpose(1, 2, 0), "RGB")
    h, w = arr.shape[1:]
    factor = max(1, px // max(h, w))
    return pil.resize((w * factor, h * factor), Image.Resampling.NEAREST)


def diff_heatmap(orig: np.ndarray, recon: np.ndarray, px: int = DISPLAY_PX) -> Image.Image:
    """Signed difference recon - orig as blue (darker) - white - red (brighter). Each channel's brightening
    and darkening are averaged apart, so a colour shift (red up, blue down) shows as both, not as the zero
    its signed mean would be; the square root makes a difference of 0.05 read as a fifth of the full
    colour instead of a twentieth, so small errors are still seen."""
    d = np.clip(np.asarray(recon, np.float32) - np.asarray(orig, np.float32), -1.0, 1.0)
    pos, neg = np.sqrt(np.clip(d, 0, 1).mean(0)), np.sqrt(np.clip(-d, 0, 1).mean(0))
    rgb = np.clip(np.stack([1 - neg, 1 - pos - neg, 1 - pos], axis=0), 0, 1)  # red for +, blue for -, white for 0
    return to_pil(rgb, px)
