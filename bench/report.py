"""Time `fieldapp report` on the demo commune against computing the same indicators.

Builds the demo (`fieldapp --data DIR demo --no-serve`) unless --data points at one, then
times, as subprocesses on the same data and the same cut-off date, `fieldapp report
--period N` and `fieldapp indicators --json --as-of END` (the same indicators, no PDF).
Each is run --runs times; medians are compared. An in-process breakdown follows.
Last line: a JSON object with report_s and ratio_report_vs_indicators (goal <= 5),
ratio_docx_vs_indicators and ratio_xlsx_vs_indicators (goal <= 3 each).

    python bench/report.py [--data DIR] [--period 4] [--runs 3]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FIELDAPP = [sys.executable, "-m", "fieldapp"]


def timed(args):
    """(wall, CPU) seconds one command takes; fail loudly if it fails.

    CPU time (user + system of the child) is printed too: on a shared, busy machine it
    varies far less than wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(FIELDAPP + args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def site_dir(root):
    """The demo commune, or a village when the commune has received nothing."""
    from fieldapp.site import Site
    commune = os.path.join(root, "commune")
    site = Site(commune)
    if site.store.histories():
        return commune, "commune"
    print("the demo commune has no records: using villages/phu-binh")
    return os.path.join(root, "villages", "phu-binh"), "village phu-binh"


def breakdown(path, period):
    """In-process seconds of each stage of the report."""
    from fieldapp.reports import weekly as report
    from fieldapp.indicators.compute import compute
    from fieldapp.site import Site
    stages = {}
    start = time.perf_counter()
    site = Site(path)
    histories = site.store.histories()
    stages["load"] = time.perf_counter() - start
    chosen, cutoff, _ = report.choose_period(site.settings, period)
    start = time.perf_counter()
    compute(site.settings, histories, cutoff)
    stages["compute"] = time.perf_counter() - start
    start = time.perf_counter()
    data = report.report_data(site.settings, histories, period)
    stages["report_data"] = time.perf_counter() - start
    start = time.perf_counter()
    html = report.render_html(data)
    stages["html"] = time.perf_counter() - start
    start = time.perf_counter()
    import weasyprint  # noqa: F401
    stages["weasyprint_import"] = time.perf_counter() - start
    start = time.perf_counter()
    report.render_pdf(html)
    stages["layout_and_pdf"] = time.perf_counter() - start
    # as before: importing WeasyPrint and rendering
    stages["pdf"] = stages["weasyprint_import"] + stages["layout_and_pdf"]
    return stages, sum(len(h) for h in histories.values()), cutoff


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="An existing demo directory (default: build one).")
    parser.add_argument("--period", type=int, default=4, help="Period of the report.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each command.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data
        if not root:
            root = os.path.join(tmp, "demo")
            subprocess.run(FIELDAPP + ["--data", root, "demo", "--no-serve"], check=True,
                           stdout=subprocess.DEVNULL)
        path, scope = site_dir(root)
        stages, versions, cutoff = breakdown(path, args.period)
        out = os.path.join(tmp, "report.pdf")
        report_runs = [timed(["--data", path, "report", "--out", out, "--period",
                              str(args.period)]) for _ in range(args.runs)]
        indicator_runs = [timed(["--data", path, "indicators", "--json", "--as-of",
                                 cutoff.isoformat()]) for _ in range(args.runs)]
        pages = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
        office = {kind: statistics.median(
            timed(["--data", path, "report", "--out", os.path.join(tmp, "report." + kind),
                   "--period", str(args.period)])[0] for _ in range(args.runs))
            for kind in ("docx", "xlsx")}
    report_s = statistics.median(w for w, _ in report_runs)
    indicators_s = statistics.median(w for w, _ in indicator_runs)
    report_cpu = statistics.median(c for _, c in report_runs)
    indicators_cpu = statistics.median(c for _, c in indicator_runs)
    print(f"{scope}: {versions} versions, period {args.period} (to {cutoff})")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("in-process seconds: " + ", ".join(f"{k} {v:.3f}" for k, v in stages.items()))
    print(f"fieldapp report: {report_s:.3f} s wall, {report_cpu:.3f} s CPU   "
          f"fieldapp indicators --json: {indicators_s:.3f} s wall, {indicators_cpu:.3f} s CPU")
    print(next((line for line in pages.splitlines() if line.startswith("Pages")), ""))
    print(json.dumps({"scope": scope, "versions": versions, "report_s": round(report_s, 3),
                      "indicators_s": round(indicators_s, 3),
                      "ratio_report_vs_indicators": round(report_s / indicators_s, 2),
                      "report_cpu_s": round(report_cpu, 3),
                      "ratio_cpu": round(report_cpu / indicators_cpu, 2),
                      "inprocess_pdf_s": round(stages["pdf"], 3),
                      "inprocess_weasyprint_import_s": round(stages["weasyprint_import"], 3),
                      "inprocess_compute_s": round(stages["compute"], 3),
                      # goal <= 3 each: the Word file and the workbook against the indicators
                      "ratio_docx_vs_indicators": round(office["docx"] / indicators_s, 2),
                      "ratio_xlsx_vs_indicators": round(office["xlsx"] / indicators_s, 2)}))


if __name__ == "__main__":
    main()
