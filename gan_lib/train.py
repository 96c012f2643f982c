"""``python -m gan_lib.train``: train a preset on a data set (see
:mod:`gan_lib.training.cli`; ``--help`` lists the flags)."""

import sys

from gan_lib.training.cli import train_main

if __name__ == "__main__":
    sys.exit(train_main())
