"""``python -m gan_lib.benchmarks.lab_checks``: see :mod:`.sweep`."""

from gan_lib.benchmarks.lab_checks.sweep import main

main()
