"""Data for the book: toy distributions with exact properties (and, later, images)."""

from gan_lib.data.toy import GaussianMixture1D, GaussianMixture2D, grid, ring, spiral

__all__ = ["GaussianMixture1D", "GaussianMixture2D", "grid", "ring", "spiral"]
