"""The words Almanac itself puts on the page (not the report's own text), per language.

One small table, :data:`LABELS`, by language and key; :func:`label` looks a key up for
the report's language and falls back to English when the language has no table. It is
a deliberately thin seam: message catalogues (gettext) can replace the table without
changing a caller.
"""

from __future__ import annotations

FALLBACK = "en"
"""The language of the labels when the report's language has none."""

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "illustrative": "Illustrative data",
        "illustrative-note": "Illustrative data: the report does not give this series; "
                             "the values are for illustration.",
        "chart": "Chart",
        "source": "Source",
        "subject": "Subject",
        "norm": "Norm",
        "realised": "Realised",
        "status": "Status",
        "not-stated": "not stated",
        "colophon-illustrative": "Charts and tables labelled ‘illustrative data’ show series "
                                 "that the report does not give; their values are for "
                                 "illustration.",
        "colophon-placeholders": "Photos are shown as illustrations.",
        "status-achieved": "achieved",
        "status-partly": "partly achieved",
        "status-not-achieved": "not achieved",
        "status-unknown": "unknown",
    },
    "nl": {
        "illustrative": "Voorbeeldgegevens",
        "illustrative-note": "Voorbeeldgegevens: het jaarverslag geeft deze reeks niet; "
                             "de waarden zijn ter illustratie.",
        "chart": "Grafiek",
        "source": "Bron",
        "subject": "Onderwerp",
        "norm": "Norm",
        "realised": "Realisatie",
        "status": "Status",
        "not-stated": "niet vermeld",
        "colophon-illustrative": "Grafieken met het label ‘voorbeeldgegevens’ tonen reeksen "
                                 "die het jaarverslag niet geeft; hun waarden zijn ter "
                                 "illustratie.",
        "colophon-placeholders": "Foto’s zijn weergegeven als illustraties.",
        "status-achieved": "gerealiseerd",
        "status-partly": "deels gerealiseerd",
        "status-not-achieved": "niet gerealiseerd",
        "status-unknown": "onbekend",
    },
}
"""Labels by language (the primary subtag of a BCP 47 tag: ``nl`` for ``nl-BE``) and
key. Every language has every key of the fallback language."""


def label(language: str, key: str) -> str:
    """The label ``key`` in ``language`` (a BCP 47 tag as the manifest gives it, e.g.
    ``nl``, ``nl-BE`` or ``en-GB``: only its language subtag counts), in English when
    the language has no labels. A key that no table has is a KeyError (a bug in the
    caller, not in the report)."""
    table = LABELS.get(language.split("-")[0].lower(), LABELS[FALLBACK])
    return table[key] if key in table else LABELS[FALLBACK][key]
