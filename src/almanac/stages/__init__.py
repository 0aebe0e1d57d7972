"""The build stages, each a function from a typed input to a typed output.

``charts`` (figure blocks → SVG files, drawn by ``chartworker``), ``render``
(Jinja2 templates → one HTML document; ``photos`` draws placeholder photos,
``brand`` turns the brand into CSS and a chart theme), ``typeset`` (WeasyPrint:
HTML → pages → PDF bytes; ``fetcher`` is the only way it reads a file),
``preflight`` (the laid-out pages checked), ``finish`` (the PDF read back and
checked) and ``output`` (the one writer). ``variants`` is the registry of the
kinds of PDF; ``pageimages`` draws a PDF's pages as PNG (PDFium) for the preview
and ``diff``. :mod:`almanac.pipeline` runs them in order.
"""
