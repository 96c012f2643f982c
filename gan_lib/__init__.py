"""gan_lib: the library behind the GAN book.

Every GAN variant, loss, regularizer, metric and data set the book discusses, as
readable, GPU-ready PyTorch. Import the modules you need::

    from gan_lib import data, divergences, losses, metrics, models, training
    from gan_lib import viz  # figures (imports matplotlib)
"""

from gan_lib import (
    data,
    divergences,
    losses,
    metrics,
    models,
    profiles,
    regularizers,
    training,
)

__version__ = "0.1.0"
__all__ = [
    "data",
    "divergences",
    "losses",
    "metrics",
    "models",
    "profiles",
    "regularizers",
    "training",
]
