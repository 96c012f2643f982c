"""Data for the book: toy distributions with exact properties, and image data sets.

``gan_lib.data.images.load(name, resolution)`` is the one way to ask for images.
"""

from gan_lib.data import images
from gan_lib.data.toy import GaussianMixture1D, GaussianMixture2D, grid, ring, spiral

__all__ = ["GaussianMixture1D", "GaussianMixture2D", "grid", "images", "ring", "spiral"]
