r"""The observables a calorimeter physicist compares between a simulator and its
surrogate (CaloGAN, Paganini et al., 2018, Sec. 4, compares the same kinds of
quantity), computed on images of deposited energy ``(N, layers, cells, cells)``.

All statistics are in float64. A shower with no visible energy has no depth or width:
those come back as NaN for it (never a silent zero), and :func:`observables` says how
many there were.

* total energy :math:`E_{vis} = \sum_{l,i,j} e_{lij}`; the response
  :math:`E_{vis}/E_0` and the resolution :math:`\sigma(E_{vis})/\langle E_{vis}
  \rangle` at each incoming energy;
* layer fractions :math:`f_l = \sum_{ij} e_{lij} / E_{vis}`;
* depth, the energy-weighted mean layer :math:`\bar l = \sum_l l\,f_l` (its growth
  with :math:`\ln E_0` is Heitler's law);
* lateral width, the energy-weighted standard deviation of the cell positions about
  the shower's own centroid, both axes pooled, in cells;
* sparsity, the fraction of cells whose energy exceeds ``threshold``.
"""

from __future__ import annotations

import numpy as np

Images = np.ndarray  # (N, layers, cells, cells) deposited energy


def _check_images(images: Images) -> np.ndarray:
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4 or images.shape[2] != images.shape[3] or images.shape[0] == 0:
        raise ValueError(
            "shower images must be (N, layers, cells, cells) with N >= 1; got shape "
            f"{images.shape}"
        )
    if not np.all(np.isfinite(images)) or images.min() < 0:
        raise ValueError(
            "shower images must hold finite, non-negative energies; got minimum "
            f"{np.nanmin(images)!r}"
        )
    return images


def total_energy(images: Images) -> np.ndarray:
    """``(N,)`` visible energy per shower."""
    return _check_images(images).sum(axis=(1, 2, 3))


def layer_fractions(images: Images) -> np.ndarray:
    """``(N, layers)`` share of each layer in the shower's visible energy (NaN rows
    for empty showers)."""
    images = _check_images(images)
    per_layer = images.sum(axis=(2, 3))  # (N, L)
    total = per_layer.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, per_layer / total, np.nan)


def depth(images: Images) -> np.ndarray:
    """``(N,)`` energy-weighted mean layer index (0 = the front)."""
    fractions = layer_fractions(images)
    return fractions @ np.arange(fractions.shape[1], dtype=np.float64)


def lateral_width(images: Images) -> np.ndarray:
    """``(N,)`` energy-weighted standard deviation of the deposits' lateral cell
    positions about the shower's centroid (x and y pooled), in cells."""
    images = _check_images(images)
    cells = images.shape[-1]
    lateral = images.sum(axis=1)  # (N, R, R): summed over depth
    total = lateral.sum(axis=(1, 2))
    centres = np.arange(cells, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_x = lateral.sum(axis=1) / total[:, None]  # (N, R) columns
        p_y = lateral.sum(axis=2) / total[:, None]  # (N, R) rows
        mean_x, mean_y = p_x @ centres, p_y @ centres
        var_x = p_x @ centres**2 - mean_x**2
        var_y = p_y @ centres**2 - mean_y**2
        width = np.sqrt(np.clip((var_x + var_y) / 2, 0, None))
    return np.where(total > 0, width, np.nan)


def sparsity(images: Images, threshold: float = 0.0) -> np.ndarray:
    """``(N,)`` fraction of the cells whose energy exceeds ``threshold``."""
    images = _check_images(images)
    return (images > threshold).mean(axis=(1, 2, 3))


def response_and_resolution(
    images: Images, energies: np.ndarray
) -> dict[float, tuple[float, float]]:
    r"""For each distinct incoming energy :math:`E_0`: the mean response
    :math:`\langle E_{vis} \rangle / E_0` and the relative resolution
    :math:`\sigma(E_{vis}) / \langle E_{vis} \rangle` (sample std, ``ddof=1``)."""
    visible = total_energy(images)
    energies = np.asarray(energies, dtype=np.float64)
    if energies.shape != visible.shape:
        raise ValueError(
            f"energies must be ({visible.size},), one per shower; got {energies.shape}"
        )
    out: dict[float, tuple[float, float]] = {}
    for e0 in np.unique(energies):
        at = visible[energies == e0]
        if at.size < 2:
            raise ValueError(
                f"a resolution needs >= 2 showers per energy; E0 = {e0} has {at.size}"
            )
        out[float(e0)] = (at.mean() / e0, at.std(ddof=1) / at.mean())
    return out


def observables(images: Images) -> dict[str, np.ndarray]:
    """Every per-shower observable at once: ``total``, ``depth``, ``width``,
    ``sparsity`` (each ``(N,)``) and ``fractions`` ``(N, layers)``, plus ``empty``
    (how many showers had no visible energy)."""
    images = _check_images(images)
    total = total_energy(images)
    return {
        "total": total,
        "depth": depth(images),
        "width": lateral_width(images),
        "sparsity": sparsity(images),
        "fractions": layer_fractions(images),
        "empty": np.array(int((total == 0).sum())),
    }
