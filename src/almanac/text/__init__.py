"""Text: the one Markdown renderer (``prose``), the one locale-aware number and
date formatter (``formatting``) and the words Almanac itself prints, per language
(``messages``), with their extraction into the catalogues (``extract``)."""
