"""What the contents' leaders cost: the contents laid out and drawn with WeasyPrint's
leaders, with Almanac's (each leader one run of text, :mod:`almanac.stages.leaders`),
and with the page number after a space (no leader), in one run.

The sample is built once (``--html``); its contents (``<nav class="toc">``) are then
laid out alone with the document's head, followed by one page holding every entry's
target (so that each ``target-counter`` resolves, as in the report). ``--repeat N``
repeats the entries N times (a longer contents). Medians of the rounds are printed.

    python bench/bench_contents.py [--rounds 5] [--repeat 4] [--project .]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from almanac.stages.leaders import leaders_in_one_run

from _project import built_html, copy_project

NO_LEADER = ("<style>.toc a::after { content: ' ' target-counter(attr(href), page) "
             "!important; }</style>")


def contents_document(html: str, repeat: int, style: str = "") -> str:
    """The document's head and its contents ``repeat`` times, then every target."""
    head = html[:html.index("<body")]
    nav = re.search(r'<nav class="toc".*?</nav>', html, re.S)
    if nav is None:
        raise SystemExit("the built HTML has no <nav class=\"toc\">")
    targets = dict.fromkeys(re.findall(r'(?:href|data-ref)="#([^"]+)"', nav.group(0)))
    body = nav.group(0) * repeat + '<div style="break-before: page">' + "".join(
        f'<p id="{target}">·</p>' for target in targets) + "</div>"
    return head.replace("</head>", style + "</head>") + f"<body>{body}</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    from weasyprint import HTML

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(args.project, Path(tmp) / "project")
        html = built_html(project, Path(tmp))
        themed = contents_document(html, args.repeat)
        cases = {"weasyprint": (themed, nullcontext), "one run": (themed, leaders_in_one_run),
                 "no leader": (contents_document(html, args.repeat, NO_LEADER), nullcontext)}
        entries = len(re.findall(r"<li\b", themed))
        times: dict[str, dict[str, list[float]]] = {
            name: {"layout": [], "draw": []} for name in cases}
        pages = {}
        for _ in range(args.rounds):  # interleaved: machine noise hits both alike
            for name, (text, hook) in cases.items():
                start = time.perf_counter()
                with hook():
                    document = HTML(string=text, base_url=project.as_uri() + "/").render()
                laid_out = time.perf_counter()
                document.write_pdf()
                times[name]["layout"].append(laid_out - start)
                times[name]["draw"].append(time.perf_counter() - laid_out)
                pages[name] = len(document.pages)
    print(f"contents of {entries} entries, {args.rounds} rounds (median s)")
    print(f"{'':12}{'layout':>8}{'draw':>8}{'pages':>7}")
    for name, runs in times.items():
        print(f"{name:12}{statistics.median(runs['layout']):8.3f}"
              f"{statistics.median(runs['draw']):8.3f}{pages[name]:7}")
    total = {name: sum(map(statistics.median, runs.values())) for name, runs in times.items()}
    for name in ("weasyprint", "one run"):
        print(f"{name} / no leader: {total[name] / total['no leader']:.2f}x")


if __name__ == "__main__":
    main()
