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
    """Signed difference recon - orig (mean over channels) as blue (missing ink) - white - red (added)."""
    d = (np.asarray(recon, np.float32) - np.asarray(orig, np.float32)).mean(0)
    d = np.clip(d, -1.0, 1.0)
    pos, neg = np.clip(d, 0, 1), np.clip(-d, 0, 1)
    rgb = np.stack([1 - neg, 1 - pos - neg, 1 - pos], axis=0)  # red for +, blue for -, white for 0
    rgb = np.clip(rgb, 0, 1)
    return to_pil(rgb, px)
