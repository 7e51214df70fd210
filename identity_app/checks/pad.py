"""Single-frame passive presentation-attack detection (PAD) on a face crop.

`presentation_attack_score(face_bgr)` returns 0..1, higher = more likely a
presentation attack (printed photo). It is a logistic model over 33
texture, frequency and colour cues of the face resized to 128 x 128:
sharpness (log Laplacian variance), contrast, saturation and chroma
statistics, high-frequency energy ratios, specular highlights, and two
uniform LBP histograms (radius 1 and 2). A printed photo re-imaged by a
webcam is blurrier, flatter in contrast and colour, and loses the small
specular highlights of skin.

The weights below were fitted by `python -m identity_app.evaluation.pad_fit
../shared/data/pad-nuaa-dev` (standardisation folded into the weights;
sklearn LogisticRegression C=1) on all 160 NUAA crops (subjects 1-8). Those
figures are training figures; the honest estimate is the nested
leave-one-subject-out run printed by pad_fit: APCER 0.0% (0/80 prints),
BPCER 5.0% (4/80), ROC AUC 0.999, with the threshold of each outer fold
chosen on inner leave-one-subject-out scores at BPCER 5%. The feature set
and C were picked among 5 sets x 3 values on that same CV, so expect some
optimism; NUAA is 2009 webcam footage, so recalibrate on your own cameras.

Screens (replay attacks) are not covered: there is no labelled screen data
here.
"""
from __future__ import annotations

import numpy as np
import cv2

SIZE = 128

FEATURE_NAMES = (
    "log_laplacian_var", "contrast_cv", "grey_range", "sat_mean", "sat_std", "val_mean",
    "cr_mean", "cb_mean", "cr_std", "cb_std", "hf_energy_32", "hf_energy_16", "specular_share",
    *(f"lbp_r1_{i}" for i in range(10)),
    *(f"lbp_r2_{i}" for i in range(10)),
)

# Fitted by identity_app.evaluation.pad_fit (see module docstring). Raw-feature weights.
WEIGHTS = np.array([
    -1.14372, -5.53111, -0.0279095, -6.33319, 2.79467, 0.147935,
    -55.5324, 18.174, -57.2864, 8.13976, -0.817632, -1.79652,
    -7.69719, 5.394, 11.0983, -8.9985, 32.6288, -0.186506,
    0.154213, 47.4635, 11.6162, -7.30409, 1.08104, -25.429,
    -70.4919, -9.24588, 68.6054, 2.0645, -26.7787, 25.929,
    4.55653, -7.02656, 5.1471,
])
INTERCEPT = 16.3859
# Threshold at BPCER 5% on the leave-one-subject-out scores of pad-nuaa-dev.
DEFAULT_THRESHOLD = 0.2825

_RADIUS_GRID = np.hypot(*np.mgrid[-SIZE // 2:SIZE // 2, -SIZE // 2:SIZE // 2])
# Map an 8-bit LBP code to the rotation-invariant uniform label (0..8 ones, 9 = non-uniform).
_UNIFORM = np.array(
    [bin(c).count("1") if sum(((c >> i) & 1) != ((c >> ((i + 1) % 8)) & 1) for i in range(8)) <= 2 else 9
     for c in range(256)],
    dtype=np.uint8,
)


def _lbp_hist(grey: np.ndarray, radius: int) -> np.ndarray:
    """Uniform LBP (8 neighbours on a square ring of `radius`) as a 10-bin histogram."""
    r = radius
    c = grey[r:-r, r:-r]
    offsets = [(-r, -r), (-r, 0), (-r, r), (0, r), (r, r), (r, 0), (r, -r), (0, -r)]
    code = np.zeros(c.shape, dtype=np.uint8)
    h, w = grey.shape
    for bit, (dy, dx) in enumerate(offsets):
        n = grey[r + dy: h - r + dy, r + dx: w - r + dx]
        code |= (n >= c).astype(np.uint8) << bit
    return np.bincount(_UNIFORM[code].ravel(), minlength=10) / code.size


def pad_features(face_bgr: np.ndarray) -> np.ndarray:
    """The 33 cues of FEATURE_NAMES for one face crop (BGR, any size)."""
    if face_bgr.ndim == 2:
        face_bgr = cv2.cvtColor(face_bgr, cv2.COLOR_GRAY2BGR)
    img = cv2.resize(face_bgr[:, :, :3], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    grey_u8 = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    g = grey_u8.astype(np.float32)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float32)
    ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(g - g.mean()))) ** 2
    r = _RADIUS_GRID
    low16, mid, high = spectrum[r <= 16].sum(), spectrum[(r > 16) & (r <= 32)].sum(), spectrum[r > 32].sum()
    low32 = low16 + mid
    f = [
        np.log(cv2.Laplacian(g, cv2.CV_32F).var() + 1.0),
        g.std() / (g.mean() + 1.0),
        np.percentile(g, 95) - np.percentile(g, 5),
        hsv[..., 1].mean() / 255, hsv[..., 1].std() / 255, hsv[..., 2].mean() / 255,
        ycc[..., 1].mean() / 255, ycc[..., 2].mean() / 255, ycc[..., 1].std() / 255, ycc[..., 2].std() / 255,
        np.log(high / (low32 + 1e-9) + 1e-9),
        np.log(mid / (low16 + 1e-9) + 1e-9),
        np.mean((hsv[..., 2] > 230) & (hsv[..., 1] < 40)),
    ]
    return np.concatenate([np.asarray(f, dtype=np.float64), _lbp_hist(grey_u8, 1), _lbp_hist(grey_u8, 2)])


def score_features(features: np.ndarray, weights: np.ndarray | None = None, intercept: float | None = None) -> float:
    w = WEIGHTS if weights is None else weights
    b = INTERCEPT if intercept is None else intercept
    z = float(np.dot(features, w) + b)
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


def presentation_attack_score(face_bgr: np.ndarray) -> float:
    """0..1, higher = more likely a printed-photo attack; compare with DEFAULT_THRESHOLD."""
    return score_features(pad_features(face_bgr))


def is_attack(face_bgr: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> bool:
    return presentation_attack_score(face_bgr) >= threshold
