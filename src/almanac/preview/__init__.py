"""The live preview for designers: ``session`` (one report, built on demand, its
pages kept as images), ``raster`` (pages to PNG), ``server`` (the spread view over
HTTP, refreshed on every save) and ``buildserver`` (each build in a fresh process
forked from a warm one)."""
