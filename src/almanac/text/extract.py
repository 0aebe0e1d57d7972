"""Finding Almanac's messages in its sources, and keeping its catalogues current.

The messages are what ``pybabel extract`` would find: calls of ``gettext``,
``ngettext``, ``pgettext`` and ``N_`` (a marker that returns its text) in the
Python modules, and ``{% trans %}`` blocks and ``_()``/``gettext()`` calls in the
templates (Jinja2's own extractor, ``jinja2.ext.babel_extract``). :func:`extract`
returns them as a Babel :class:`~babel.messages.catalog.Catalog`; :func:`update`
writes the template (``almanac.pot``) and brings every built-in catalogue up to
date with it (Babel's ``Catalog.update``: new messages added untranslated, old
ones dropped), as ``pybabel update`` does. Run it after changing a message::

    python -m almanac.text.extract

then translate what it added (each ``msgstr ""``); the tests refuse a built-in
catalogue that lacks a translation or breaks a placeholder.

Files are written sorted by message and without line numbers, so that a change to a
source line does not rewrite the catalogues, and two changes that add different
messages merge as text.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .messages import DOMAIN

PACKAGE = Path(__file__).resolve().parent.parent
"""The ``almanac`` package folder, whose sources are searched."""
LOCALE = PACKAGE / "locale"
"""The built-in catalogues (``<lang>/LC_MESSAGES/almanac.po``) and the template."""
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
"""The message template: every message, untranslated."""
METHODS = [
    ("**/scaffold/**", "ignore"),  # a new project's own text, in its language
    ("**.py", "python"),
    ("**/theme/layout/**.html", "jinja2.ext:babel_extract"),
    ("**/preview/**.html", "jinja2.ext:babel_extract"),
]
"""Which files hold messages and how they are read (Babel's method map)."""
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true",
                       "trim_blocks": "true", "lstrip_blocks": "true"}}
"""The templates are read as the renderer's Jinja2 environment reads them."""
HEADER = ("# {language} messages of Almanac: the words it writes on pages, in the preview\n"
          "# and on the command line. Update with `python -m almanac.text.extract`.\n"
          "# Distributed under the same license as Almanac.\n#")
"""The comment at the top of every built-in catalogue."""
PROJECT_HEADER = ("# Almanac's words for this report in {language}: translate or change each "
                  "msgstr;\n# the next build uses them. Written by `almanac messages {tag}`.\n#")
"""The comment at the top of a project's catalogue, ``locale/<tag>.po``
(:func:`report_messages`): what the file is for whoever opens it, and what made it."""
STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""The date in the catalogues' headers: fixed, so that an update changes only messages."""


def extract() -> Catalog:
    """Every message of the package's sources as a catalogue with no translations,
    each with the files it comes from (and translator comments, ``# Translators:``)."""
    template = _catalog(None)
    for path, _, message, comments, context in extract_from_dir(
            PACKAGE, METHODS, OPTIONS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        template.add(message, None, [(path, 0)], auto_comments=comments, context=context)
    return template


def _catalog(language: str | None) -> Catalog:
    catalog = Catalog(locale=language, domain=DOMAIN, project="Almanac", version="",
                      charset="utf-8", creation_date=STAMP, revision_date=STAMP, fuzzy=False,
                      last_translator="", language_team="")
    catalog.header_comment = HEADER.format(
        language=catalog.locale.english_name if catalog.locale else "The")
    return catalog


def _write(catalog: Catalog, path: Path) -> bool:
    data = po_bytes(catalog)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def update() -> list[Path]:
    """Write :data:`TEMPLATE` from :func:`extract` and update every built-in catalogue
    to it; returns the files that changed."""
    template = extract()
    changed = [TEMPLATE] if _write(template, TEMPLATE) else []
    for path in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with path.open("rb") as file:
            catalog = read_po(file, locale=path.parent.parent.name, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.revision_date = STAMP
        catalog.creation_date = STAMP
        catalog.header_comment = _catalog(catalog.locale_identifier).header_comment
        if _write(catalog, path):
            changed.append(path)
    return changed


INTERFACE = ("cli.py", "reporter.py", "pipeline.py", "errors.py", "preview/", "families/")
"""The sources of the interface's words (the command line, the preview): a report's
catalogue leaves out messages used only there."""


def report_messages(language: str, translated: dict[str, str]) -> Catalog:
    """A project's catalogue for ``language`` (a tag, ``sv``): every message Almanac
    writes into a report (not its interface's words, :data:`INTERFACE`), each with
    its text from ``translated`` (``{msgid: text}``, e.g. the built-in catalogue's
    :meth:`~almanac.text.messages.Catalogue.table`) or untranslated; what ``almanac
    messages`` writes for a project to edit as ``locale/<tag>.po``, headed by
    :data:`PROJECT_HEADER`."""
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    catalog = _catalog(language.replace("-", "_"))
    catalog.header_comment = PROJECT_HEADER.format(
        language=catalog.locale.english_name if catalog.locale else language, tag=language)
    for message in template:
        if not message.id or all(path.startswith(INTERFACE) for path, _ in message.locations):
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        text = translated.get(key, "") if isinstance(message.id, str) else ""
        catalog.add(message.id, text, [], flags=message.flags,
                    auto_comments=message.auto_comments, context=message.context)
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    """``catalog`` as a ``.po`` file, as the built-in catalogues are written."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=96, sort_output=True, include_lineno=False,
             ignore_obsolete=True)
    return buffer.getvalue()


if __name__ == "__main__":
    for changed in update():
        print(f"updated {changed.relative_to(PACKAGE)}")  # noqa: T201
