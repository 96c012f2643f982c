"""``python -m gan_lib.sample``: a PNG grid of a trained generator's samples (see
:mod:`gan_lib.training.cli`; ``--help`` lists the flags)."""

import sys

from gan_lib.training.cli import sample_main

if __name__ == "__main__":
    sys.exit(sample_main())
