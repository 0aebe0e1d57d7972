"""Report families: every member of a family built in parallel on Dask.

:func:`~.runner.build_family` is the entry point (``almanac build --family``);
:mod:`.files` carries the project's files to the workers by content,
:mod:`.task` is one member's build on a worker, :mod:`.state` the input hashes a
run is resumed by, :mod:`.progress` what a run shows on a terminal.
"""
