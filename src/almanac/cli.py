"""The command line: thin commands that call one pipeline function each.

Exit codes: 0 success, 1 a problem with the report (message names file, line
and fix), 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import ReportError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="almanac", description="Typeset a branded annual-report PDF from structured data.")
    parser.add_argument("--version", action="version", version=f"almanac {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help="build the report into a PDF",
                                description="Build the report in PROJECT_DIR into a PDF and "
                                "print the path of the PDF it wrote.")
    build.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR",
                       help="the report folder (default: the current folder)")
    build.add_argument("-o", "--output", metavar="FILE", help="where to write the PDF "
                       "(default: output/<title>.pdf in the report folder)")
    build.add_argument("--edition", choices=("screen", "print"), default="screen",
                       help="screen: RGB, links, no bleed (default); print: CMYK, 3 mm "
                       "bleed with crop and cross marks, mirrored pages, PDF/X-4")
    build.add_argument("--html", metavar="FILE", help="also write the intermediate HTML")
    build.add_argument("--strict", action="store_true",
                       help="fail on any WeasyPrint warning (missing image, bad CSS)")
    build.add_argument("--no-cache", action="store_true", help="re-render every chart")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    specimen = commands.add_parser(
        "specimen", help="build a PDF showing the brand tokens and every component",
        description="Build a specimen PDF: the brand's colours (screen and print values), "
        "type scale and every layout component, from layout/specimen/, with the "
        "report's styles. Prints the path of the PDF.")
    specimen.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR",
                          help="the report folder (default: the current folder)")
    specimen.add_argument("-o", "--output", metavar="FILE",
                          help="where to write the PDF (default: output/specimen.pdf)")
    specimen.add_argument("--edition", choices=("screen", "print"), default="screen")
    specimen.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    check = commands.add_parser("check", help="validate the report's data only",
                                description="Validate report.yaml, the brand, every chapter "
                                "and figure reference, without typesetting.")
    check.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR",
                       help="the report folder (default: the current folder)")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing when valid")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on a usage error
    from .reporter import ConsoleReporter

    reporter = ConsoleReporter(quiet=args.quiet)
    root = Path(args.project)
    if not root.is_dir():
        print(f"almanac: error: {root} is not a folder", file=sys.stderr)
        return 2
    try:
        if args.command == "build":
            from .pipeline import build

            result = build(root, args.output, reporter=reporter, cache=not args.no_cache,
                           strict=args.strict, html_output=args.html, edition=args.edition)
            print(result.path)
        elif args.command == "specimen":
            from .pipeline import build_specimen

            result = build_specimen(root, args.output, reporter=reporter, edition=args.edition)
            print(result.path)
        elif args.command == "check":
            from .pipeline import check_report

            report = check_report(root)
            if not args.quiet:
                print(f"{root.resolve() / 'report.yaml'}: valid "
                      f"({len(report.chapters)} chapters)")
    except ReportError as exc:
        count = len(exc.problems)
        print(exc.format(root.resolve()), file=sys.stderr)
        print(f"almanac: {count} problem{'s' if count != 1 else ''}; nothing was written",
              file=sys.stderr)
        return 1
    return 0


def run() -> None:
    """The console script: ``main`` then a prompt exit.

    A build leaves a large heap of layout objects; tearing it down object by
    object takes a tenth of a second or more and serves nobody, so once the
    output is flushed and every file is written and closed, the process ends
    without interpreter teardown.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
