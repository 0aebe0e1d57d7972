"""The command line: thin commands that call one pipeline function each.

Exit codes: 0 success, 1 a problem with the report (message names file, line
and fix), 2 a usage error, 130 an interrupt (Ctrl-C; nothing was written).
"""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import Problem, ReportError, printable
from .stages.variants import BUILD_VARIANTS, VARIANTS

if TYPE_CHECKING:
    from .text.messages import Catalogue


LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""The environment variables the interface's language is read from (gettext's)."""


@functools.lru_cache(maxsize=4)
def _catalogue(environment: tuple[tuple[str, str], ...]) -> Catalogue:
    from .text.messages import catalogue, interface_language

    return catalogue(interface_language(dict(environment)))


def words() -> Catalogue:
    """The words of the command line: Almanac's built-in catalogue of the language the
    user reads (:func:`~almanac.text.messages.interface_language`: ``LANGUAGE``,
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; English by default). Built when first
    needed, not at import (``almanac --help`` pays ~40 ms for it), and once for each
    setting of those variables."""
    return _catalogue(tuple((name, os.environ[name]) for name in LANGUAGE_VARIABLES
                            if name in os.environ))


def _(msgid: str, /, **values: object) -> str:
    """``msgid`` in the user's language (:func:`words`), placeholders filled."""
    return words().gettext(msgid, **values)


def _error(text: str) -> str:
    """``almanac: error: text``, the frame of a usage error, in the user's language."""
    return _("almanac: error: %(problem)s", problem=text)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, its ``usage:`` in the user's language."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose own words (the ``usage:`` line, the section titles,
    ``--help`` and the frame of a usage error) are in the user's language. argparse's
    messages inside that frame ("invalid choice: …") stay as argparse writes them."""

    def __init__(self, *, add_help: bool = True, **kwargs: Any):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=_("show this help and exit"))

    def error(self, message: str):
        """Usage and ``PROG: error: message`` on standard error; exit 2 (argparse's
        contract for ``error``)."""
        self.print_usage(sys.stderr)
        self.exit(2, _("%(prog)s: error: %(problem)s", prog=self.prog, problem=message)
                  + "\n")


def _project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR",
                        help=_("the report folder (default: the current folder)"))


def _variant_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=BUILD_VARIANTS, default="screen",
                        help="; ".join(f"{name}: {VARIANTS[name].description}"
                                       for name in BUILD_VARIANTS)
                        + " " + _("(default: %(variant)s)", variant="screen"))
    # --edition was this option's name before "edition" came to mean a published version
    parser.add_argument("--edition", choices=BUILD_VARIANTS, dest="variant",
                        help=argparse.SUPPRESS)


def _family_arguments(parser: argparse.ArgumentParser) -> None:
    family = parser.add_argument_group(_("report families (family.yaml)"))
    family.add_argument("--family", action="store_true", help=_(
        "every member of the family, each into its own PDF, in parallel on Dask"))
    family.add_argument("--members", metavar="KEY,KEY", type=lambda text: [
        key.strip() for key in text.split(",") if key.strip()], help=_(
        "with --family: only these members"))
    family.add_argument("--scheduler", type=_scheduler_address, metavar="tcp://HOST:PORT",
                        help=_(
        "with --family: the Dask scheduler of a cluster (default: a local cluster of "
        "one worker process per core)"))
    family.add_argument("--workers", type=_positive(int), metavar="N", help=_(
        "with --family: the local cluster's worker processes (default: one per core)"))
    family.add_argument("--json", action="store_true", help=_(
        "with --family: the summary as JSON on standard output"))


def _language_argument(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--language", metavar="TAG", help=_(
        "of a report in several languages, the one to make (a tag of languages: in "
        "report.yaml, e.g. en; default: %(default)s)", default=default))


def _member_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--member", metavar="KEY", help=_(
        "of a report family (family.yaml), the member to make: its key in the member "
        "table"))


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (RFC 793), in ASCII digits: ``int()`` would also take
    a sign, underscores and any Unicode digit."""
    if re.fullmatch(r"[0-9]{1,5}", text, re.ASCII) is None or int(text) > 65535:
        raise argparse.ArgumentTypeError(_(
            "'%(text)s' is not a port: give a whole number from 0 to 65535 (0 picks a free "
            "one)", text=text))
    return int(text)


def _host(text: str) -> str:
    """An address to listen on: an IPv4 address in dotted-quad form, an IPv6 address
    (brackets optional), or a host name that resolves (RFC 1123, section 2.1)."""
    import ipaddress
    import socket

    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    form = _("give an IP address (127.0.0.1, this machine only; ::1; or one of this "
             "machine's addresses) or a host name that resolves")
    label = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
    if re.fullmatch(rf"{label}(\.{label})*\.?", bare, re.ASCII) is None or len(bare) > 253 \
            or re.fullmatch(r"[0-9.]+", bare):  # 256.1.1.1, 127.1: not an address
        raise argparse.ArgumentTypeError(_("'%(text)s' is not an address: %(fix)s",
                                           text=text, fix=form))
    try:
        socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise argparse.ArgumentTypeError(_("'%(text)s' does not resolve: %(fix)s",
                                           text=text, fix=form)) from None
    return bare


def _timestamp_url(text: str) -> str:
    """``publish --timestamp-url``: an http(s) address, by the rule of report.yaml's
    ``archive.timestamp_url`` (:func:`~almanac.project.model.http_url`), checked before
    anything is built."""
    from .project.model import http_url

    try:
        return http_url(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_(
            "'%(text)s' is not an http(s) URL: give the timestamp authority's address, "
            "e.g. https://freetsa.org/tsr", text=text)) from None


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    from .stages.charts import CHART_MEMORY_MIB
    from .stages.guard import MAX_PAGES, MEMORY_MIB, TYPESET_SECONDS

    limits = parser.add_argument_group(_("limits (a build that reaches one stops, exit 1)"))
    limits.add_argument("--time-limit", type=_positive(float), metavar="SECONDS",
                        default=TYPESET_SECONDS,
                        help=_("for typesetting (default %(default)g)"))
    limits.add_argument("--memory-limit", type=_positive(int), metavar="MIB",
                        default=MEMORY_MIB, help=_("resident memory of the build's process "
                                                   "while typesetting (default %(default)d)"))
    limits.add_argument("--page-limit", type=_positive(int), metavar="N", default=MAX_PAGES,
                        help=_("pages (default %(default)d)"))
    limits.add_argument("--chart-memory-limit", type=_positive(int), metavar="MIB",
                        default=CHART_MEMORY_MIB,
                        help=_("resident memory of the chart worker (default %(default)d)"))
    parser.add_argument("--jobs", type=_positive(int), metavar="N", help=_(
        "typeset the chapters in N processes at once, the same pages as one pass (1: one "
        "pass; default: one per core, for a report long enough to gain)"))


def _scheduler_address(text: str) -> str:
    """A Dask scheduler's address as ``Client`` takes it: ``PROTOCOL://HOST:PORT``
    (``tcp``, ``tls``, ``ws``, ``wss``, ``ucx``) or ``HOST:PORT`` (tcp); a usage error
    otherwise, before anything is read or started."""
    import re

    if not re.fullmatch(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)"
                        r":[0-9]{1,5}", text) or not 0 < int(text.rsplit(":", 1)[1]) < 65536:
        raise argparse.ArgumentTypeError(_(
            "not a scheduler address: %(text)s (write tcp://HOST:PORT, e.g. "
            "tcp://10.0.0.5:8786)", text=repr(text)))
    return text


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("not a number: %(text)s",
                                               text=repr(text))) from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(_("must be a positive number, not %(text)s",
                                               text=repr(text)))
        return value

    parse.__name__ = getattr(kind, "__name__", "number")
    return parse


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    """The BuildOptions fields the limit flags set."""
    return {"typeset_seconds": args.time_limit, "memory_mib": args.memory_limit,
            "max_pages": args.page_limit, "chart_memory_mib": args.chart_memory_limit,
            "jobs": args.jobs}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="almanac",
        description=_("Typeset a branded annual-report PDF from structured data."))
    parser.add_argument("--version", action="version", version=f"almanac {__version__}",
                        help=_("show the version and exit"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help=_("build the report into a PDF"),
                                description=_("Build the report in PROJECT_DIR into a PDF "
                                              "and print the path of the PDF it wrote."))
    _project_argument(build)
    build.add_argument("-o", "--output", metavar="FILE", help=_(
        "where to write the PDF (default: output/<title>.pdf in the report folder)"))
    _variant_argument(build)
    build.add_argument("--html", metavar="FILE", help=_("also write the intermediate HTML"))
    build.add_argument("--strict", action="store_true",
                       help=_("fail on any WeasyPrint warning (missing image, bad CSS)"))
    build.add_argument("--no-cache", action="store_true", help=_("re-render every chart"))
    build.add_argument("-q", "--quiet", action="store_true", help=_("no progress output"))
    _language_argument(build, _("every language, each into its own PDF"))
    _member_argument(build)
    _family_arguments(build)
    _limit_arguments(build)

    specimen = commands.add_parser(
        "specimen", help=_("build a PDF showing the brand tokens and every component"),
        description=_("Build a specimen PDF: the brand's colours (screen and print values), "
                      "type scale and every layout component, from layout/specimen/, with "
                      "the report's styles. Prints the path of the PDF."))
    _project_argument(specimen)
    specimen.add_argument("-o", "--output", metavar="FILE",
                          help=_("where to write the PDF (default: output/specimen.pdf)"))
    _variant_argument(specimen)
    specimen.add_argument("-q", "--quiet", action="store_true", help=_("no progress output"))
    _language_argument(specimen, _("the main language"))
    _limit_arguments(specimen)

    preview = commands.add_parser(
        "preview", help=_("live preview in the browser, rebuilt on every change"),
        description=_("Serve the report's pages in a spread view on a local address, "
                      "watch report.yaml, styles/, layout/, chapters/ and figures/, rebuild "
                      "on every change and refresh open browser tabs. Ctrl-C stops it."))
    _project_argument(preview)
    preview.add_argument("--port", type=_port, default=8765,
                         help=_("port to listen on, 0 to 65535 (default 8765; 0 picks a "
                                "free one)"))
    preview.add_argument("--host", type=_host, default="127.0.0.1",
                         help=_("address to listen on: an IPv4 or IPv6 address or a name "
                                "of this machine (default 127.0.0.1: this machine only)"))
    preview.add_argument("--chapter", metavar="SLUG",
                         help=_("typeset only this chapter (its folder's name under "
                                "chapters/), faster"))
    preview.add_argument("-q", "--quiet", action="store_true", help=_("only the address"))
    _language_argument(preview, _("the main language"))
    _member_argument(preview)
    _limit_arguments(preview)

    publish = commands.add_parser(
        "publish", help=_("publish the archival edition (PDF/A-3a with its sources inside)"),
        description=_("Build the archival edition into the archive, "
                      "editions/<year>/<version>/ (archive.folder in report.yaml): a "
                      "PDF/A-3a file with every input embedded, and manifest.json. An "
                      "edition is never rewritten: the same inputs leave it as it is, "
                      "other inputs are refused. A new version must be higher than the "
                      "archived ones, not dated before them, and have a changelog entry."))
    _project_argument(publish)
    publish.add_argument("-q", "--quiet", action="store_true", help=_("no progress output"))
    _member_argument(publish)
    publish.add_argument("--family", action="store_true", help=_(
        "every member of the family (family.yaml), each as its own edition in "
        "editions/<year>/<version>/<member key>/"))
    publish.add_argument("--members", metavar="KEY,KEY", type=lambda text: [
        key.strip() for key in text.split(",") if key.strip()], help=_(
        "with --family: only these members"))
    signing = publish.add_argument_group(_("signing (PAdES)"))
    signing.add_argument("--sign", metavar="KEY", help=_(
        "sign the PDF with this key: a PKCS#12 file (.p12, .pfx) or a PEM private key "
        "with --certificate; the passphrase from ALMANAC_SIGN_PASSPHRASE, else asked"))
    signing.add_argument("--certificate", metavar="CERT.pem",
                         help=_("the certificate of a PEM key given with --sign"))
    signing.add_argument("--chain", metavar="CA.pem", action="append", default=[],
                         help=_("intermediate certificates to embed in the signature "
                                "(repeatable)"))
    signing.add_argument("--timestamp-url", metavar="URL", type=_timestamp_url, help=_(
        "timestamp the signature at this RFC 3161 timestamp authority"))
    signing.add_argument("--signature-box", metavar="PAGE[:X,Y,W,H]", type=_signature_box,
                         help=_("show the signature on a page (a number, or last) in this "
                                "box, in mm from the page's lower left corner; without a "
                                "box 70 x 18 mm in the page's foot. Default: invisible"))
    _limit_arguments(publish)

    verify = commands.add_parser(
        "verify", help=_("check a published PDF by rebuilding it from its embedded sources"),
        description=_("Check, from the file alone, the embedded manifest and sources, the "
                      "PDF/A identification, the XMP metadata (one packet, every property "
                      "described), the embedded files' name tree and /AF, the images, the "
                      "fonts and the rules of the standards the file claims (as check-pdf "
                      "does: one check for each rule that fails); with the edition folder "
                      "beside it, also the PDF's SHA-256. Then rebuild the edition from its "
                      "embedded sources, offline, and compare the bytes: the first page "
                      "that differs is drawn side by side. With other tool versions "
                      "installed than the edition records, the rebuild writes the recorded "
                      "ones: identical bytes still prove the pages. Exit 0 intact, 1 when "
                      "anything fails, 3 when the pages could not be proven (other tool "
                      "versions, and the rebuild differs or does not build)."))
    verify.add_argument("pdf", metavar="FILE.pdf")
    verify.add_argument("--trust", metavar="CA.pem", action="append", default=[], help=_(
        "check a signature's certificate chain against this trust root (repeatable)"))
    verify.add_argument("--quick", action="store_true", help=_(
        "only the checks of the file itself: do not rebuild the pages"))
    verify.add_argument("--pages", metavar="DIR", help=_(
        "write the side-by-side PNG of the first page that differs here (default: a new "
        "temporary folder)"))

    from .stages.conformance import PROFILES

    check_pdf = commands.add_parser(
        "check-pdf", help=_("check a PDF against the rules of PDF/UA-1 and PDF/A-3"),
        description=_("Check FILE.pdf against the machine-checkable rules of the "
                      "standards its XMP metadata claims: PDF/UA-1 (the failure conditions "
                      "of the Matterhorn Protocol) and PDF/A-3 (ISO 19005-3). Prints every "
                      "finding with its rule, grouped by rule, and a summary. Exit 0 when "
                      "there is none, 1 when there are findings, 2 when the file is not a "
                      "readable PDF."))
    check_pdf.add_argument("pdf", metavar="FILE.pdf")
    check_pdf.add_argument("--profile", action="append", choices=PROFILES, type=lambda name: {
        known.lower(): known for known in PROFILES}.get(name.lower(), name), help=_(
        "check against this standard instead of those the file claims (give it twice "
        "for both: --profile PDF/A-3a --profile PDF/UA-1)"))
    check_pdf.add_argument("--json", action="store_true",
                           help=_("machine-readable output (the same in every language)"))

    extract = commands.add_parser(
        "extract", help=_("restore the source tree embedded in a published PDF"),
        description=_("Write the report's source files embedded in FILE.pdf into DIR; "
                      "'almanac publish DIR' then makes the same PDF again."))
    extract.add_argument("pdf", metavar="FILE.pdf")
    extract.add_argument("target", metavar="DIR")

    diff = commands.add_parser(
        "diff", help=_("what changed between two published editions"),
        description=_("Compare two published editions from their embedded sources and "
                      "pages: the edition and its changelog, changed numbers (key, old, "
                      "new, chapter), the changed words of each paragraph (marked as by git "
                      "diff --word-diff=plain; on a terminal struck through in red and "
                      "underlined in green), and pages that look different."))
    diff.add_argument("old", metavar="OLD.pdf")
    diff.add_argument("new", metavar="NEW.pdf")
    diff.add_argument("--pages", metavar="DIR", help=_(
        "write side-by-side PNGs of the differing pages, changes in red"))
    diff.add_argument("--json", action="store_true",
                      help=_("machine-readable output (the same in every language)"))

    editions = commands.add_parser(
        "editions", help=_("list the archived editions"),
        description=_("List the editions in the archive (archive.folder in report.yaml, "
                      "default editions/; and any left in output/): version, date, pages, "
                      "size, SHA-256, whether they verify, which one is current (the "
                      "highest version), and each one's changelog entry."))
    _project_argument(editions)
    editions.add_argument("--json", action="store_true",
                          help=_("machine-readable output (the same in every language)"))

    fonts = commands.add_parser(
        "fonts", help=_("list the brand's font families, faces and coverage"),
        description=_("List the font families the report can use (the brand's; no system "
                      "font is ever used): each face's file, weight, style and glyph count, "
                      "how much of each common Unicode block it covers and which "
                      "typographic characters (the hyphen U+2010, dashes, quotes, bullet, "
                      "ellipsis, euro sign) it lacks."))
    _project_argument(fonts)
    fonts.add_argument("--json", action="store_true",
                       help=_("machine-readable output (the same in every language)"))

    schema = commands.add_parser(
        "schema", help=_("print the JSON Schema of report.yaml, chapter.yaml or the brand"),
        description=_("Print the JSON Schema of a YAML file of the project, for an editor "
                      "to complete and check it (see the README: a yaml-language-server "
                      "modeline)."))
    schema.add_argument("kind", nargs="?", choices=("report", "chapter", "brand"),
                        default="report", help=_("which file (default: report)"))
    schema.add_argument("-o", "--output", metavar="FILE",
                        help=_("write it to FILE instead of printing it"))

    new = commands.add_parser(
        "new", help=_("write a small working report into a new folder"),
        description=_("Write a new report into DIR (a new or empty folder): report.yaml, "
                      "three chapters with sample prose, numbers, tiles, charts and a "
                      "table, a README and a .gitignore. It uses the built-in theme and "
                      "builds as it is."))
    new.add_argument("target", metavar="DIR", help=_("the folder to create"))
    new.add_argument("--title", help=_("the report's title (default: 'Annual report YEAR', "
                                       "in the report's language)"))
    new.add_argument("--organisation", help=_("who publishes the report"))
    new.add_argument("--year", type=int, help=_("the year the report is about (default: "
                                                 "last year)"))
    new.add_argument("--language", default="en", help=_(
        "the report's language, a BCP 47 tag such as en, en-GB, nl or de-DE (default: en); "
        "the sample texts are in English or Dutch"))

    messages = commands.add_parser(
        "messages", help=_("write the words Almanac prints, to translate or change them"),
        description=_("Write locale/LANG.po into the project: every word Almanac prints in "
                      "a report (page numbers, captions, the contents, the colophon), as a "
                      "gettext catalogue, with the built-in translation where Almanac has "
                      "one. Change or translate the texts (msgstr) with any .po editor; "
                      "the next build uses them. An existing file is never overwritten."))
    messages.add_argument("language", metavar="LANG",
                          help=_("the language to write, a BCP 47 tag such as sv or en-GB"))
    _project_argument(messages)

    check = commands.add_parser(
        "check", help=_("validate the data, templates and stylesheets"),
        description=_("Validate report.yaml, the brand, every chapter and figure reference, "
                      "render the templates of every edition and parse every stylesheet "
                      "they link, without drawing charts or laying out pages. Warns about "
                      "every number and series that is defined but used nowhere (a build "
                      "does not) and prints a summary: how many numbers and series the "
                      "report defines and how many are unused."))
    _project_argument(check)
    check.add_argument("--strict", action="store_true",
                       help=_("fail on its warnings: a stylesheet's (as build --strict does) "
                              "and a number or series defined but used nowhere"))
    check.add_argument("--uses", action="store_true",
                       help=_("list per chapter the numbers and series it uses: key, value, "
                              "where it is defined (chapter and line, or workbook cell) and "
                              "where the chapter uses it (as what, on which line); then what "
                              "is defined but unused"))
    check.add_argument("--json", action="store_true",
                       help=_("the same listing as JSON, for tools (nothing else on stdout; "
                              "the same in every language)"))
    check.add_argument("-q", "--quiet", action="store_true",
                       help=_("print nothing when valid"))
    _language_argument(check, _("every language"))
    _member_argument(check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code: 0 done, 1 a problem with the report (or a
    published edition that does not verify), 2 a usage error."""
    args = _parser().parse_args(argv)  # exits 2 on a usage error
    from .reporter import ConsoleReporter

    # pypdf logs what it repairs in a damaged PDF; the commands say what matters in
    # their own words (a library leaves the logging configuration to its host)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # e.g. a font's odd timestamps
    # pyHanko logs each chain it cannot build; verify says so in its own checks
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    reporter = ConsoleReporter(quiet=getattr(args, "quiet", False), words=words())
    if args.command in ("verify", "extract", "diff", "check-pdf"):
        try:
            return _archive_command(args, reporter) if args.command in ("verify", "extract") \
                else _diff(args) if args.command == "diff" else _check_pdf(args)
        except BrokenPipeError:  # the reader of the output has gone (almanac … | head)
            return _reader_gone()
        except KeyboardInterrupt:  # Ctrl-C: a temporary rebuild or drawing is removed
            print(_("almanac: interrupted"), file=sys.stderr)
            return 130
    if args.command == "schema":
        return _schema(args.kind, args.output)
    if args.command == "new":
        return _new(args)
    root = Path(args.project)
    if not root.is_dir():
        print(_error(_("%(path)s is not a folder", path=root)), file=sys.stderr)
        return 2
    from .project.parts import find_project

    try:  # as git does: a command run in a folder of a project finds the project
        root = find_project(root)
    except ReportError as exc:
        if args.command != "editions":  # a folder of editions alone (an archive) lists
            print(exc.format(fix=_("fix")), file=sys.stderr)
            return 1
    refused = _family_usage(args) or _refused_outputs(root, args)
    if refused is not None:
        print(_error(refused), file=sys.stderr)
        return 2
    try:
        if args.command == "build" and args.family:
            return _family(root, args)
        if args.command == "build":
            from .pipeline import BuildOptions, build_all

            options = BuildOptions(variant=args.variant, strict=args.strict,
                                   cache=not args.no_cache,
                                   html_output=Path(args.html) if args.html else None,
                                   language=args.language, member=args.member,
                                   **_limits(args))
            for result in build_all(root, args.output, options, reporter=reporter):
                print(result.path)
        elif args.command == "specimen":
            from .pipeline import build_specimen

            result = build_specimen(root, args.output, reporter=reporter, variant=args.variant,
                                    language=args.language, **_limits(args))
            print(result.path)
        elif args.command == "preview":
            from .pipeline import BuildOptions
            from .preview.server import serve

            try:
                serve(root, host=args.host, port=args.port, chapter=args.chapter,
                      announce=lambda text: print(text, flush=True), quiet=args.quiet,
                      options=BuildOptions(language=args.language, member=args.member,
                                           **_limits(args)))
            except ReportError as exc:  # it could not listen: nothing was built
                print(_error(exc.format(fix=_("fix"))), file=sys.stderr)
                return 1
        elif args.command == "publish" and args.family:
            return _publish_family(root, args, reporter)
        elif args.command == "publish":
            from .pipeline import BuildOptions, publish, refuse_family_publish

            refuse_family_publish(root)  # a family's editions are its members'
            signer = _signer(args)  # before the build: a wrong passphrase costs nothing
            published = publish(root, reporter=reporter,
                                options=BuildOptions(**_limits(args)), signer=signer,
                                timestamp_url=args.timestamp_url,
                                signature_box=args.signature_box, member=args.member)
            if not published.created:
                print(_("edition %(version)s is already published with these inputs; "
                        "nothing changed", version=published.manifest["edition"]["version"]),
                      file=sys.stderr)
                if signer is not None and "signature" not in published.manifest["pdf"]:
                    # Translators: publish --sign of a version already published unsigned
                    print(_("it was published without a signature, and an edition is never "
                            "rewritten: --sign signs the next version"), file=sys.stderr)
            for edition in [published, *published.translations]:
                print(edition.pdf)
        elif args.command == "editions":
            return _editions(root, args.json)
        elif args.command == "messages":
            return _messages(root, args.language)
        elif args.command == "fonts":
            return _fonts(root, args.json)
        elif args.command == "check":
            from .pipeline import check

            checked = check(root, strict=args.strict, reporter=reporter,
                            language=args.language, member=args.member)
            report = checked.report
            if args.json or args.uses:
                _print_uses(_uses_listing(checked), args.json)
            if not args.quiet and not args.json:
                valid = words().ngettext("%(file)s: valid (%(count)s chapter)",
                                         "%(file)s: valid (%(count)s chapters)",
                                         len(report.chapters),
                                         file=root.resolve() / "report.yaml")
                if report.multilingual and args.language is None:
                    valid += " · " + ", ".join(report.languages)
                members = len({edition.member.key for edition in checked.reports
                               if edition.member is not None})
                if members and args.member is None:
                    valid += " · " + words().ngettext("%(count)s member", "%(count)s members",
                                                      members)
                print(valid)
                print(_uses_summary(checked.definitions))
    except ReportError as exc:
        count = len(exc.problems)
        print(exc.format(root.resolve(), _("fix")), file=sys.stderr)
        # a WriteError says what was renamed into place before a later file failed
        written = getattr(exc, "written", [])
        done = _("written before it failed: %(files)s; nothing else",
                 files=", ".join(map(str, written))) if written else _("nothing was written")
        problems = words().ngettext("%(count)s problem", "%(count)s problems", count)
        print(_("almanac: %(problems)s", problems=problems) if args.command == "check" else
              _("almanac: %(problems)s; %(written)s", problems=problems, written=done),
              file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of the output has gone (almanac … | head)
        return _reader_gone()
    except OSError as exc:  # the disk, the file system or a permission: cause and fix
        from .stages.output import os_problem

        print(os_problem(exc, doing="read or write").format(root.resolve(), _("fix")),
              file=sys.stderr)
        print(_("almanac: %(problems)s; %(written)s",
                problems=words().ngettext("%(count)s problem", "%(count)s problems", 1),
                written=_("nothing was written")), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the pipeline wrote nothing (stages.guard)
        print(_("almanac: interrupted; nothing was written"), file=sys.stderr)
        return 130
    return 0


def _uses_summary(found: list) -> str:
    """One line: how many numbers and series the report defines, how many unused."""
    numbers = sum(1 for d in found if d.kind == "number")
    spare = sum(1 for d in found if not d.uses)
    said = words()
    return _("%(numbers)s, %(series)s; %(unused)s",
             numbers=said.ngettext("%(count)s number", "%(count)s numbers", numbers),
             series=said.ngettext("%(count)s series", "%(count)s series", len(found) - numbers),
             unused=said.ngettext("%(count)s defined but unused", "%(count)s defined but unused",
                                  spare) if spare else _("all used"))


def _uses_listing(checked: Any) -> dict[str, Any]:
    """The numbers and series each chapter uses, as ``check --json`` prints them:
    ``chapters`` in order, each with its ``numbers`` (key, value, unit, text as
    printed, where defined: chapter, file, line, cell; ``used_in``: what, where,
    line) and ``series`` (key, rows, where defined, source file; ``used_in``), and
    ``unused``: every number and series defined but used nowhere; ``member``, the key
    of the family member whose values they are (the first, without ``--member``), or
    None for a report that is no family's."""
    from .project.uses import number_uses, series_uses
    from .text.formatting import report_formatter

    report, found = checked.report, checked.definitions
    fmt = report_formatter(report)
    chapters = {chapter.slug: chapter for chapter in report.chapters}

    def defined(d: Any) -> dict[str, Any]:
        try:
            file = d.path.relative_to(report.root).as_posix()
        except ValueError:
            file = d.path.name
        entry: dict[str, Any] = {"key": d.key}
        if d.kind == "number":
            number = chapters[d.chapter].data.numbers[d.key]
            value = int(number.value) if number.unit == "count" and number.value is not None \
                else number.value
            entry.update(value=value, unit=number.unit, text=fmt.number(number))
        else:
            loaded = chapters[d.chapter].series.get(d.key)
            entry.update(rows=len(loaded.rows) if loaded else 0, columns={
                column.name: column.spec for column in loaded.columns} if loaded else {})
        entry.update({"defined_in": d.chapter, "file": file, "line": d.line,
                      "cell" if d.kind == "number" else "source": d.source})
        return entry

    def used(items: list) -> list[dict[str, Any]]:
        return [{**defined(u.definition), "used_in": [
            {"what": use.what, "where": use.where, "line": use.line} for use in u.uses]}
            for u in items]

    numbers, series = number_uses(report, found), series_uses(report, found)
    return {
        "member": report.member.key if report.member is not None else None,
        "numbers": sum(1 for d in found if d.kind == "number"),
        "series": sum(1 for d in found if d.kind == "series"),
        "chapters": [{"chapter": chapter.slug, "number": chapter.number,
                      "title": chapter.data.title, "numbers": used(numbers[chapter.slug]),
                      "series": used(series[chapter.slug])} for chapter in report.chapters],
        "unused": [{"kind": d.kind, **defined(d)} for d in found if not d.uses]}


def _print_uses(listing: dict[str, Any], as_json: bool) -> None:
    """``listing`` (:func:`_uses_listing`) as JSON, or as a table per chapter: one
    line a number or series (key, value, where defined, where used), in columns, so
    that it reads at a terminal and greps in a pipe."""
    import json

    if as_json:
        print(json.dumps(listing, indent=2, ensure_ascii=False))
        return

    def origin(entry: dict[str, Any]) -> str:
        place = f"{entry['defined_in']}:{entry['line']}" if entry["line"] else \
            entry["defined_in"]
        source = entry.get("cell") or entry.get("source")
        return f"{place} {source}" if source else place

    def table(title: str, entries: list[dict[str, Any]], uses: bool = True) -> None:
        head = [_("key"), _("value"), _("defined in")] + ([_("used in (as, line)")]
                                                         if uses else [])
        rows = [[entry["key"], entry["text"] if "text" in entry else
                 words().ngettext("series, %(count)s row", "series, %(count)s rows",
                                  entry["rows"]), origin(entry)]
                + ([", ".join(f"{use['what']} {use['line'] or ''}".strip()
                              for use in entry["used_in"])] if uses else [])
                for entry in entries]
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        print(printable(title))
        for row in [head, *rows]:
            cells = [cell.rjust(width) if i == 1 else cell.ljust(width)
                     for i, (cell, width) in enumerate(zip(row, widths))]
            print(printable("  " + "  ".join(cells).rstrip()))
        print()

    if listing["member"] is not None:
        print(printable(_("the values of member %(key)s (another: --member KEY)",
                          key=listing["member"])) + "\n")
    for chapter in listing["chapters"]:
        title = f"{chapter['number']:02d} {chapter['title']} (chapters/{chapter['chapter']})"
        if chapter["numbers"] or chapter["series"]:
            table(title, chapter["numbers"] + chapter["series"])
        else:
            print(printable(title) + "\n  " + _("uses no number or series") + "\n")
    if listing["unused"]:
        table(_("defined but unused"), listing["unused"], uses=False)


def _family_usage(args: argparse.Namespace) -> str | None:
    """Why build's family options do not go together (a usage error), or None."""
    if args.command == "publish":
        if args.family and args.member:
            return _("--member and --family do not go together")
        return _("--members only go with --family") if args.members and not args.family \
            else None
    if args.command != "build":
        return None
    if args.family and args.member:
        return _("--member and --family do not go together")
    if args.family and (args.output or args.html):
        return _("--family writes each member's PDF to its own name: leave out -o and --html")
    given = [name for name, value in (("--members", args.members), ("--scheduler",
             args.scheduler), ("--workers", args.workers), ("--json", args.json)) if value]
    if given and not args.family:
        return _("%(options)s only go with --family", options=", ".join(given))
    return None


def _refused_outputs(root: Path, args: argparse.Namespace) -> str | None:
    """Why the outputs named on the command line (``-o``, ``--html``) may not be
    written, found before anything is built (see :func:`~.stages.output.check_targets`:
    an input of the report, a folder, a FIFO or device, a path below a file, an empty
    name, a NUL, two names of one file, …); None when they may."""
    if args.command not in ("build", "specimen"):
        return None
    from .stages.output import check_targets

    named = [getattr(args, "html", None), args.output]
    try:
        check_targets([name for name in named if name is not None], root)
    except ReportError as exc:
        return exc.format(fix=_("fix"))
    return None


def _publish_family(root: Path, args: argparse.Namespace, reporter: Any) -> int:
    """``publish --family``: each member (or ``--members``) as its own edition; the
    path of each edition's PDF; 1 when any member could not be published, with the
    list."""
    from .families.publish import publish_family
    from .pipeline import BuildOptions

    signer = _signer(args)
    done = publish_family(root, keys=args.members, reporter=reporter,
                          options=BuildOptions(**_limits(args)), signer=signer,
                          timestamp_url=args.timestamp_url, signature_box=args.signature_box)
    for published in done.published.values():
        for edition in [published, *published.translations]:
            print(edition.pdf)
    for problems in done.failed.values():
        for problem in problems:
            print(problem, file=sys.stderr)
    if done.failed:
        print(words().ngettext("almanac: %(count)s member failed: %(members)s",
                               "almanac: %(count)s members failed: %(members)s",
                               len(done.failed), members=", ".join(done.failed)),
              file=sys.stderr)
        return 1
    return 0


def _family(root: Path, args: argparse.Namespace) -> int:
    """``build --family``: every member (or ``--members``) built on Dask; the summary
    as a table (or JSON); 1 when any member failed, with the list."""
    import json

    from .families.progress import ConsoleProgress
    from .families.runner import build_family
    from .pipeline import BuildOptions

    root = root.resolve()  # the PDFs are named relative to it (found from "." when not given)
    options = BuildOptions(variant=args.variant, strict=args.strict, cache=not args.no_cache,
                           language=args.language, **_limits(args))
    try:
        run = build_family(root, keys=args.members, options=options,
                           scheduler=args.scheduler, workers=args.workers,
                           progress=ConsoleProgress(args.quiet or args.json, words()))
    except KeyboardInterrupt:  # the members built so far are written, and remembered
        print(_("almanac: interrupted; the members built so far are written: run the "
                "command again to build the others"), file=sys.stderr)
        return 130
    for result in run.failed:
        for problem in result.problems:
            print(problem, file=sys.stderr)
    if args.json:
        print(json.dumps(run.as_json(root), indent=2))
    else:
        status = {"built": _("built"), "cached": _("from cache"), "failed": _("failed")}
        shown = [r for r in run.results if len(run.results) <= 50 or r.status == "failed"]
        head = [_("member"), _("status"), _("pages"), _("seconds"), "PDF"]
        rows = [[result.name, status[result.status], str(result.pages or ""),
                 f"{result.seconds:.1f}" if result.status != "cached" else "",
                 str(result.output.relative_to(root)) if result.output else ""]
                for result in shown]
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        if rows:
            for row in [head, *rows]:
                print(printable("  ".join(cell.rjust(width) if i in (2, 3) else
                                          cell.ljust(width) for i, (cell, width)
                                          in enumerate(zip(row, widths))).rstrip()))
        print(_("%(built)s built, %(cached)s from cache, %(failed)s failed in %(seconds).1f s "
                "(%(where)s)", built=run.count("built"), cached=run.count("cached"),
                failed=run.count("failed"), seconds=run.seconds, where=run.scheduler))
    if run.failed:
        print(words().ngettext("almanac: %(count)s member failed: %(members)s",
                               "almanac: %(count)s members failed: %(members)s",
                               len(run.failed), members=", ".join(
                                   result.name for result in run.failed)), file=sys.stderr)
        return 1
    return 0


def _new(args: argparse.Namespace) -> int:
    from .project.scaffold import new_project

    try:
        written = new_project(args.target, title=args.title, organisation=args.organisation,
                              year=args.year, language=args.language)
    except ReportError as exc:
        print(exc.format(fix=_("fix")), file=sys.stderr)
        print(_("almanac: nothing was written"), file=sys.stderr)
        return 1
    print(words().ngettext("%(count)s file written to %(folder)s; next: almanac build "
                           "%(folder)s", "%(count)s files written to %(folder)s; next: "
                           "almanac build %(folder)s", len(written), folder=args.target))
    return 0


def _messages(root: Path, language: str) -> int:
    """``almanac messages LANG``: the report's words as ``locale/LANG.po`` (never over
    an existing file), translated where a built-in catalogue has the language."""
    from .project.model import LANGUAGE_TAG, cldr_knows, suggested_tag
    from .stages.output import Writer
    from .text.extract import po_bytes, report_messages
    from .text.messages import PROJECT_LOCALE, catalogue

    if not (re.fullmatch(LANGUAGE_TAG, language) and cldr_knows(language)):
        meant = suggested_tag(language)
        print(_error(_("%(language)s is not a language tag CLDR knows; did you mean "
                       "%(tag)s?", language=language, tag=meant) if meant else
                     _("%(language)s is not a language tag CLDR knows; write e.g. sv, "
                       "en-GB or pt-BR", language=language)), file=sys.stderr)
        return 2
    target = root / PROJECT_LOCALE / f"{language}.po"
    if target.exists() or target.is_symlink():
        print(_error(_("%(file)s exists; edit it, or remove it to start again",
                       file=target)), file=sys.stderr)
        return 1
    built_in = catalogue(language)
    found = report_messages(language, built_in.table())
    count = sum(1 for message in found if message.id)
    translated = sum(1 for message in found if message.id and message.string)
    Writer(root).file(target, po_bytes(found))
    print(_("%(file)s: %(count)s messages, %(translated)s of them translated; change or "
            "translate the texts (msgstr) and build", file=target, count=count,
            translated=translated))
    return 0


def _signature_box(text: str) -> Any:
    """``--signature-box``'s value as a :class:`~almanac.editions.signing.SignatureBox`;
    a usage error (exit 2) saying the forms it takes when it is not one."""
    from .project.signaturebox import parse_signature_box

    try:
        return parse_signature_box(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None


def _signer(args: argparse.Namespace) -> Any:
    """The signer ``publish --sign`` names (:func:`~almanac.editions.signing.load_signer`),
    its passphrase asked on the terminal when the environment gives none; None
    without ``--sign``. ReportError when it cannot be loaded."""
    if args.sign is None:
        if args.certificate or args.chain or args.timestamp_url or \
                args.signature_box is not None:
            raise ReportError(Problem(
                "--certificate, --chain, --timestamp-url and --signature-box sign the "
                "edition, and no key was given", None, None, "add --sign KEY.p12 (or "
                "--sign KEY.pem --certificate CERT.pem)"))
        return None
    from .editions.signing import load_signer

    def ask(path: Path) -> bytes | None:
        if not sys.stdin.isatty():
            return None
        import getpass

        return getpass.getpass(_("passphrase of %(file)s: ", file=path)).encode()

    return load_signer(Path(args.sign), Path(args.certificate) if args.certificate else None,
                       tuple(Path(path) for path in args.chain), ask=ask)


def _archive_command(args: argparse.Namespace, reporter: Any) -> int:
    from .editions.extract import extract

    path = Path(args.pdf)
    if not path.is_file():
        print(_error(_("%(path)s is not a file", path=path)), file=sys.stderr)
        return 2
    if args.command == "extract":
        try:
            written = extract(path, Path(args.target))
        except ReportError as exc:
            print(exc.format(fix=_("fix")), file=sys.stderr)
            return 1
        print(words().ngettext("%(count)s file written to %(folder)s",
                               "%(count)s files written to %(folder)s", len(written),
                               folder=args.target))
        return 0
    from .pipeline import verify

    if args.pages is not None and _pages_refused(args.pages):
        return 2
    try:
        result = verify(path, quick=args.quick, pages=args.pages, reporter=reporter,
                        trust=[Path(root) for root in args.trust])
    except ReportError as exc:  # a limit set wrongly, a trust root, --pages, PDFium
        print(exc.format(fix=_("fix")), file=sys.stderr)
        return 1
    marks = {True: _("ok"), False: _("FAIL")}
    width = max(map(len, marks.values()))
    for check in result.checks:
        print(printable(f"{marks[check.ok]:<{width}} {check.name}: {check.detail}"))
    _print_signatures(result, bool(args.trust))
    for name, recorded, installed in result.tools:
        print(printable(_("%(tool)s: the edition was made with %(recorded)s, %(installed)s "
                          "is installed", tool=name, recorded=recorded, installed=installed)))
    if result.unrecorded and result.rebuilt:
        print(printable(_("not recorded by the edition (rebuilt with those installed): "
                          "%(tools)s", tools=", ".join(result.unrecorded))))
    if not args.quick and result.rebuilt is None and not result.intact:
        print(_("pages not rebuilt: the file already fails the checks above"))
    return _verdict(result, path, args.quick)


NOT_PROVEN = 3
"""``verify``'s exit status when the pages could not be proven either way."""


def _verdict(result: Any, path: Path, quick: bool) -> int:
    """``verify``'s last line and exit status: 0 intact (with ``quick``: the file's
    own checks, said so), 1 when a check fails (the file changed, its standards'
    rules broken, its signer not trusted), 3 when nothing failed but the pages could
    not be proven (other tools installed, and the rebuild differs or does not build)."""
    from .editions.rebuild import REBUILT
    from .editions.verify import CHAIN_TRUSTED, is_conformance

    failed = [check for check in result.checks if not check.ok]
    unproven = [check for check in failed if check.name == REBUILT and result.unproven]
    trust = [check for check in failed if check.name == CHAIN_TRUSTED]
    definite = [check for check in failed if check not in unproven + trust
                and not is_conformance(check)]
    if definite:
        print(_("%(file)s: NOT intact", file=path))
    elif unproven:
        print(printable(_("%(file)s: NOT verified: the pages were not checked (%(reason)s)",
                          file=path, reason=result.unproven)))
        return NOT_PROVEN if len(failed) == 1 else 1
    elif not failed:
        if quick:
            print(_("%(file)s: intact (the file's own checks; pages not checked: --quick)",
                    file=path))
        else:
            print(_("%(file)s: intact", file=path))
        return 0
    elif trust and quick:
        print(_("%(file)s: intact (the file's own checks; pages not checked: --quick), but "
                "not signed by a trusted signer (no chain to the roots given)", file=path))
    elif trust:
        print(_("%(file)s: intact, but not signed by a trusted signer (no chain to the "
                "roots given)", file=path))
    else:
        # Translators: verify's verdict on a file whose embedded sources and hashes are
        # right but which breaks rules of the standards (PDF/A, PDF/UA) it claims.
        print(_("%(file)s: intact, but it does not conform to the standards it claims",
                file=path))
    return 1


def _print_signatures(result: Any, trusted: bool) -> None:
    """Who signed the file and when (each signature), or that it is not signed."""
    if result.signatures is None:  # not read: the file is damaged (a check says so)
        return
    if not result.signatures:
        print(_("not signed"))
        return
    for signature in result.signatures:
        if not signature.signer:  # the signature value could not be read
            print(_("signed by: unreadable signature"))
            continue
        print(printable(_("signed by %(signer)s", signer=signature.signer)))
        if signature.signing_time is not None:
            when = signature.signing_time.strftime("%Y-%m-%d %H:%M:%S %Z")
            print(_("  signing time: %(time)s", time=when))
        if signature.timestamp_time is not None:
            when = signature.timestamp_time.strftime("%Y-%m-%d %H:%M:%S %Z")
            print(printable(_("  timestamp: %(time)s by %(authority)s", time=when,
                              authority=signature.timestamp_authority)))
        if not trusted:
            print(_("  chain not checked: give --trust CA.pem"))


FINDINGS_SHOWN = 10
"""The findings ``check-pdf`` prints of each rule (``--json`` gives them all)."""


def _check_pdf(args: argparse.Namespace) -> int:
    """``almanac check-pdf FILE.pdf``: the findings of
    :func:`~almanac.stages.conformance.check_pdf`, grouped by rule, and a summary; exit
    0 when there is none, 1 when there are, 2 when the file is not a readable PDF."""
    import json

    from .editions.sources import EmbedLimits, read_bounded
    from .stages.conformance import PROFILES, NotAPdf, check_pdf

    path = Path(args.pdf)
    try:
        data = read_bounded(path, EmbedLimits.from_environment().pdf)
    except ReportError as exc:  # a limit set wrongly in the environment
        print(exc.format(fix=_("fix")), file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(_error(_("%(path)s cannot be read: %(reason)s", path=path, reason=reason)),
              file=sys.stderr)
        return 2
    try:
        result = check_pdf(data, profile="+".join(args.profile) if args.profile else None)
    except NotAPdf as exc:
        print(_error(_("%(path)s is not a readable PDF: %(reason)s", path=path, reason=exc)),
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"file": str(path), **result.as_dict()}, indent=2,
                         ensure_ascii=False))
        return 0 if result.ok else 1
    said = words()
    claims = ", ".join(result.claims) or _("no conformance")
    if result.profiles:
        print(printable(_("%(file)s: claims %(claims)s; checked against %(profiles)s",
                          file=path, claims=claims, profiles=", ".join(result.profiles))))
    else:
        state = _("tagged") if result.tagged else _("not tagged")
        print(printable(_("%(file)s: claims %(claims)s; %(tagged)s; nothing was checked "
                          "(--profile checks it against %(known)s)", file=path,
                          claims=claims, tagged=state, known=", ".join(PROFILES))))
        return 0
    groups: dict[str, list] = {}
    for finding in result.findings:
        groups.setdefault(finding.rule, []).append(finding)
    for rule, findings in groups.items():
        count = said.ngettext("%(count)s finding", "%(count)s findings", len(findings))
        print(printable(f"{rule} ({count})"))
        for finding in findings[:FINDINGS_SHOWN]:
            print(printable(f"  {finding.message}"))
        if len(findings) > FINDINGS_SHOWN:
            print("  " + _("… and %(count)s more (--json lists them all)",
                           count=len(findings) - FINDINGS_SHOWN))
        for fix in dict.fromkeys(finding.fix for finding in findings if finding.fix):
            print(printable(f"    {_('fix')}: {fix}"))
    for what in result.unchecked:
        print(printable(_("not checked: %(what)s", what=what)))
    if result.ok:
        print(printable(_("%(file)s: passes every check of %(profiles)s", file=path,
                          profiles=", ".join(result.profiles))))
        return 0
    summary = [said.ngettext("%(count)s finding", "%(count)s findings",
                             len(result.findings))
               + " " + said.ngettext("of %(count)s rule", "of %(count)s rules", len(groups))]
    if result.unchecked:
        summary.append(said.ngettext("%(count)s part not checked", "%(count)s parts not "
                                     "checked", len(result.unchecked)))
    print(printable(_("%(file)s: %(summary)s", file=path, summary="; ".join(summary))))
    return 1


def _pages_refused(pages: str) -> bool:
    """Whether ``--pages`` names a folder page images may not go into (in the
    archive, an edition's folder or a report's inputs:
    :func:`~almanac.stages.output.check_pages_folder`), said on stderr."""
    from .stages.output import check_pages_folder

    try:
        check_pages_folder(pages)
    except ReportError as exc:
        print(exc.format(fix=_("fix")), file=sys.stderr)
        return True
    return False


def _diff(args: argparse.Namespace) -> int:
    import json

    from .editions.diff import diff_editions

    for name in (args.old, args.new):
        if not Path(name).is_file():
            print(_error(_("%(path)s is not a file", path=name)), file=sys.stderr)
            return 2
    if args.pages and _pages_refused(args.pages):
        return 2
    try:
        result = diff_editions(Path(args.old), Path(args.new),
                               Path(args.pages) if args.pages else None)
    except ReportError as exc:
        print(exc.format(fix=_("fix")), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_json(), indent=2))  # ASCII: no edition's byte reaches
        # the terminal as a control character (C1, bidi overrides) when it is read there
    else:
        print("\n".join(_diff_lines(result, _colours(sys.stdout))))
    return 0


def _colours(stream) -> bool:
    """Whether to mark changed words with terminal colours on ``stream``: when it is
    a terminal, ``NO_COLOR`` is not set (no-color.org) and ``TERM`` is not ``dumb``."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _diff_lines(result, colours: bool) -> list[str]:
    """What ``almanac diff`` prints, a line per change; the changed words marked with
    ``git diff --word-diff=plain``'s ``[-…-]{+…+}``, or with ``colours`` struck through
    in red and underlined in green (ECMA-48 SGR 9;31 and 4;32). Every text from the
    editions is made :func:`printable` before a mark is added."""
    from .text.worddiff import PLAIN, Marks, Run, marked, word_diff

    marks = Marks(("\x1b[9;31m", "\x1b[0m"), ("\x1b[4;32m", "\x1b[0m")) if colours else PLAIN

    def show(runs: list[Run]) -> str:
        return marked(runs, marks, printable)

    def plain(text: object) -> str:
        return printable(str(text))

    lines = [_("edition %(old)s (%(old_date)s) → %(new)s (%(new_date)s)",
               old=plain(result.old_version), old_date=result.old_date,
               new=plain(result.new_version), new_date=result.new_date)]
    for change in result.fields:
        lines.append(f"{change.name}: " + show(word_diff(change.old or "", change.new or "")))
    lines.append(_("changelog entries added: %(count)s", count=len(result.changes_added)))
    lines += [f"  {plain(c.version)} ({c.date.isoformat()}): {plain(c.text)}"
              for c in result.changes_added]
    if result.changes_removed:
        lines.append(_("changelog entries removed: %(count)s",
                       count=len(result.changes_removed)))
        lines += [f"  {plain(c.version)} ({c.date.isoformat()}): {plain(c.text)}"
                  for c in result.changes_removed]
    if result.changes_changed:
        lines.append(_("changelog entries changed: %(count)s",
                       count=len(result.changes_changed)))
        for old, new in result.changes_changed:
            date = show(word_diff(old.date.isoformat(), new.date.isoformat()))
            lines.append(f"  {plain(new.version)} ({date}): "
                         + show(word_diff(old.text, new.text)))
    lines.append(_("numbers changed: %(count)s", count=len(result.numbers)))
    lines += [f"  {plain(n.key)} ({plain(n.chapter)}): {plain(n.old or '—')} → "
              f"{plain(n.new or '—')}" for n in result.numbers]
    lines.append(_("chapters with changed text: %(count)s", count=len(result.text)))
    for chapter, changes in result.text.items():
        lines.append(f"  {plain(chapter)}:")
        lines += [f"    {show(change.runs)}" for change in changes]
    lines.append(_("pages that look different: %(pages)s",
                   pages=", ".join(map(str, result.pages)) if result.pages else _("none")))
    lines += [f"  {plain(path)}" for path in result.page_images]
    return lines


def _schema(kind: str, output: str | None) -> int:
    import json

    from .project.schema import json_schema
    from .stages.output import check_target, write_file

    text = json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        print(text, end="")
        return 0
    try:
        write_file(check_target(output), text.encode("utf-8"), durable=False)
    except ReportError as exc:
        print(exc.format(fix=_("fix")), file=sys.stderr)
        return 1
    return 0


def _minute(iso: str | None) -> str:
    """An ISO 8601 time as ``editions`` shows it: ``2026-11-30 11:26 UTC`` (a time
    without a zone taken as UTC), ``?`` for none; the text as it is when unreadable."""
    import datetime as dt

    if not iso:
        return "?"
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _editions(root: Path, as_json: bool) -> int:
    import json

    from .editions.verify import list_editions
    from .project.archive import archive_folder

    editions = list_editions(root)
    if as_json:
        print(json.dumps(editions, indent=2))
    elif not editions:
        print(_("no archived editions (almanac publish makes one)"))
    else:
        languages = any(e.get("language") for e in editions)  # a report in several
        members = any(e.get("member") for e in editions)  # a family's
        years = len({e["year"] for e in editions}) > 1
        head = [_("version"), *([_("year")] if years else []),
                *([_("member")] if members else []),
                *([_("language")] if languages else []), _("date"),
                _("pages"), _("size"), "SHA-256", _("status"), ""]
        rows = [[e["version"], *([e["year"]] if years else []),
                 *([e.get("member") or ""] if members else []),
                 *([e.get("language") or ""] if languages else []),
                 e.get("date", ""), str(e.get("pages", "")),
                 f"{e.get('size', 0) / 1024:.0f} KB", e.get("sha256", "")[:16], e["status"],
                 _("current") if e["current"] else ""]
                for e in editions]
        numeric = {len(head) - 5, len(head) - 4}  # pages and size, right-aligned
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        for row, edition in [(head, None), *zip(rows, editions)]:
            # columns as wide as their widest cell; numbers right
            print(printable("  ".join(cell.rjust(width) if i in numeric else cell.ljust(width)
                                      for i, (cell, width) in enumerate(zip(row, widths)))
                            .rstrip()))
            own = [c for c in (edition or {}).get("changes", [])
                   if c["version"] == (edition or {}).get("version")]
            for change in own:  # the edition's own changelog entry, below its row
                print(printable(f"    {change['date']}: {change['text']}"))
            for signature in (edition or {}).get("signed", []):
                print(printable("    " + _("signed by %(signer)s, %(time)s",
                                          signer=signature["signer"]
                                          or _("unreadable signature"),
                                          time=_minute(signature["time"]))))
        legacy = sorted({Path(e["path"]).parts[:2] for e in editions if e["legacy"]})
        if legacy:  # (place, year) of each edition outside the archive folder
            archive = archive_folder(root)
            try:
                shown = archive.relative_to(root).as_posix()
            except ValueError:
                shown = str(archive)
            commands = "; ".join(f"mkdir -p {shown}/{year} && mv {place}/{year}/* "
                                 f"{shown}/{year}/" for place, year in legacy) \
                + f"; git add {shown}"
            print()
            print(words().ngettext(
                "%(count)s of these editions lies outside the archive, %(archive)s/ (output/ "
                "is where builds go, and git ignores it); move it into the archive and "
                "commit it: %(commands)s",
                "%(count)s of these editions lie outside the archive, %(archive)s/ (output/ "
                "is where builds go, and git ignores it); move them into the archive and "
                "commit it: %(commands)s", sum(1 for e in editions if e["legacy"]),
                archive=shown, commands=commands))
    return 0 if all(e["status"] == "verified" for e in editions) else 1


def _fonts(root: Path, as_json: bool) -> int:
    import json

    from .pipeline import brand_member, load
    from .project.fontfaces import font_listing

    report = load(root, member=brand_member(root))  # a family's brand: every member's
    listing = font_listing(report.brand, report.brand_path)
    if as_json:
        print(json.dumps(listing, indent=2, ensure_ascii=False))
        return 0
    brand = report.brand_path.relative_to(report.root.resolve()).as_posix() \
        if report.brand_path.is_relative_to(report.root.resolve()) else report.brand_path.name
    for family in listing:
        roles = ", ".join(f"fonts.{role}" for role in family["roles"])
        print(printable(f"{family['family']} ({roles}; {brand}:{family['line']})"))
        for face in family["faces"]:
            glyphs = words().ngettext("%(count)s glyph", "%(count)s glyphs", face["glyphs"])
            print(printable(f"  {face['weight']} {face['style']:<7} {face['file']}  "
                            f"{glyphs}, '{face['name']}'"))
            covered = [f"{name} {done}/{total}" for name, done, total in face["blocks"] if done]
            none = [name for name, done, _total in face["blocks"] if not done]
            print("    " + _("covers: %(blocks)s", blocks=", ".join(covered)))
            if none:
                print("    " + _("not: %(blocks)s", blocks=", ".join(none)))
            print("    " + (_("lacks: %(characters)s", characters=", ".join(face["missing"]))
                            if face["missing"] else
                            _("lacks: none of the typographic characters")))
    return 0


def run() -> None:
    """The console script: ``main`` then a prompt exit.

    This process runs one command and owns the interpreter, so it makes two
    choices a library must not make for its host: the cyclic garbage collector
    is off (layout allocates millions of short-lived objects and few reference
    cycles: a tenth of a build's time), and once the output is flushed and every
    file is written and closed, the process ends without interpreter teardown
    (tearing a large heap down object by object serves nobody). Every SIGINT is
    counted (:func:`~almanac.stages.guard.record_interrupts`).
    """
    gc.disable()
    from .stages.guard import record_interrupts

    # Every Ctrl-C is counted, so one that WeasyPrint swallows while drawing still stops
    # the build before anything is written (exit 130).
    record_interrupts()
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _reader_gone()
    sys.stderr.flush()
    os._exit(code)


def _reader_gone() -> int:
    """A reader that stopped reading the output (``almanac check --uses | head -1``)
    ends the command quietly, as the Python documentation advises for SIGPIPE: what is
    left of the output goes to ``os.devnull``, and the command's work stands (0)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    run()
