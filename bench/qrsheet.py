"""Time the printed card sheet (`fieldapp qr --login`) with its QR codes as PNG images
against the same sheet with each code as an SVG path of one square per module.

The sheet is what a lead prints before a round: the notice, six guides (two codes each),
the Wi-Fi card and a login card per volunteer. Both sheets are laid out by WeasyPrint in
this process, --runs times each after one warm-up; CPU medians are compared.
Last line: a JSON object with png_s, svg_s and ratio_png_vs_svg.

Measured here (2 cores shared with other work, 12 volunteers): PNG 1.3–1.5 s, SVG
1.7–2.7 s of CPU, ratio 0.56–0.79.

    python bench/qrsheet.py [--volunteers 12] [--runs 3]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import qrcode                                   # noqa: E402
from markupsafe import Markup, escape           # noqa: E402

from fieldapp.auth.accounts import add_user     # noqa: E402
from fieldapp.reports import qrsheet            # noqa: E402
from tests.support import factories             # noqa: E402


def qr_squares_svg(data, size_mm):
    """The baseline: a code as inline SVG, one square per dark module."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix)
                   for x, dark in enumerate(row) if dark)
    n = len(matrix)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" '
                  f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges">'
                  f'<rect width="{n}" height="{n}" fill="#fff"/>'
                  f'<path d="{path}" fill="#000"/><title>{escape(data)}</title></svg>')


def cpu_seconds(site, runs):
    """Median CPU seconds of laying out the site's sheet, after one warm-up."""
    times = []
    for _ in range(runs + 1):
        start = time.process_time()
        qrsheet.site_sheets_pdf(site, "http://10.0.0.1:8080", login_village="thon-3",
                                made_by="lan")
        times.append(time.process_time() - start)
    return statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    site = factories.village_site(os.path.join(tempfile.mkdtemp(), "village"),
                                  quick_hashes=True)
    for n in range(args.volunteers - 1):            # minh is one already
        add_user(site, f"tnv{n}", "volunteer", f"{246800 + n}", "thon-3")
    png = cpu_seconds(site, args.runs)
    app_image = qrsheet.qr_image
    qrsheet.qr_image = qr_squares_svg
    try:
        svg = cpu_seconds(site, args.runs)
    finally:
        qrsheet.qr_image = app_image
    print(f"PNG codes {png:.2f} s, SVG squares {svg:.2f} s (CPU, median of {args.runs})")
    print(json.dumps({"png_s": round(png, 3), "svg_s": round(svg, 3),
                      "ratio_png_vs_svg": round(png / svg, 3)}))


if __name__ == "__main__":
    main()
