"""Text: the one Markdown renderer (``prose``) and the one locale-aware number and
date formatter (``formatting``)."""
