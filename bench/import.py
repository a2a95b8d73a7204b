"""Import a commune-scale set of sync batches, against merely parsing the same files.

Makes 8 village sites holding 150,000 record versions in all (realistic field sizes:
Vietnamese names, addresses, notes, several edits per person), each exporting four
incremental batch files as its weeks go by. Then, in one process that did none of that
work: times `json.loads` of every file and the import of every file into a fresh commune
site, taking turns, each the best of --runs (a busy machine only ever adds time); then
every indicator for the commune, every village and every period (`compute_each`: the
commune's and every village's `compute` answer from one tally of the stored versions);
and reports peak RSS.
Last line: a JSON object with ratio_import_vs_parse (goal <= 3),
indicators_s_per_100k_versions as a ratio to parse time per 100k versions (goal <= 1),
ratio_forks_vs_parse, listing every fork at the commune (goal <= 0.5), and peak_rss_mb
(goal <= 400). Every generated edit names its base (SPEC §3).

With --compare, each kept speed-up is also switched off in turn, in the same measuring
process, the imports of every variant taking turns with the parse like the normal one:
`typed` (typed decoding of clean batches, fieldapp/forms/typed.py; off, every record is
parsed generically and checked one by one by check_versions) and `gc-pause` (the cyclic
GC paused during imports and history copies, storage.collector.no_cycle_collection; off, the
collector runs as usual). They are switched off by monkeypatching, here only; the last
line then also has, per variant, its import and indicators times and their ratios to
the normal ones (indicators then the best of --runs of each; peak RSS the highest of
all variants). --without NAME measures only the import with NAME switched off.

    python bench/import.py [--versions 150000] [--villages 8] [--keep DIR]
                           [--compare | --without typed|gc-pause ...]
"""
import argparse
import contextlib
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.campaign import COMMUNE, END, START, common_arguments, generate  # noqa: E402


SPEEDUPS = {
    "typed": "typed decoding (fieldapp/forms/typed.py)",
    "gc-pause": "GC pause during imports (storage.collector.no_cycle_collection)",
}


@contextlib.contextmanager
def switched_off(names, checked_one_by_one=None):
    """Run the block with the kept speed-ups `names` (keys of SPEEDUPS) switched off, by
    monkeypatching the modules that use them; the production code has no switch.
    `checked_one_by_one` (a list), when given, gets the number of records of each batch
    checked by check_versions."""
    import fieldapp.indicators.compute
    import storage.reading
    import sync.approval
    import sync.record_checks
    import sync.transfer
    saved = []
    check_versions = sync.record_checks.check_versions

    def counted(records, *args, **kwargs):
        checked_one_by_one.append(len(records))
        return check_versions(records, *args, **kwargs)

    def patch(module, name, value):
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)
    if "typed" in names:      # no batch decodes typed: the records are checked one by one
        patch(sync.transfer, "_decode_typed", lambda body, batch, now: None)
    if checked_one_by_one is not None:
        patch(sync.record_checks, "check_versions", counted)
    if "gc-pause" in names:   # the collector runs as usual wherever it was paused
        for module in (sync.transfer, sync.approval, storage.reading, fieldapp.indicators.compute):
            patch(module, "no_cycle_collection", lambda promote=False: contextlib.nullcontext())
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def variant_name(names):
    """The label of a variant: "normal" or "without " and what is switched off."""
    return "without " + "+".join(names) if names else "normal"


def measure(root, runs, variants=((),)):
    """Time parsing, importing and indicators in this (fresh) process, for each variant
    (a tuple of SPEEDUPS switched off; the first is the one of the main numbers)."""
    from fieldapp.site import init_site
    from fieldapp.indicators.compute import compute_each
    from fieldapp.site import Site
    from sync.transfer import import_batch
    folder = os.path.join(root, "batches")
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder))
    size = sum(os.path.getsize(path) for path in files)

    villages = sorted(os.listdir(os.path.join(root, "villages")))
    parses = []                     # (wall, cpu) of each run
    imports = {names: [] for names in variants}
    commune = None
    for run in range(runs):   # parse and imports take turns, so a slow spell hits all
        start, cpu = time.perf_counter(), time.process_time()
        versions = 0
        for path in files:
            with open(path, "rb") as handle:
                versions += len(json.loads(handle.read())["records"])
        parses.append((time.perf_counter() - start, time.process_time() - cpu))

        turn = run % len(variants)      # each variant in turn goes first (and pays warm-up)
        for names in variants[turn:] + variants[:turn]:
            if commune is not None:
                commune.close()
                shutil.rmtree(commune.data_dir)
                commune = None
                gc.collect()
            commune_dir = os.path.join(root, f"commune-{run + 1}")     # a fresh one each time
            init_site(commune_dir, "commune", COMMUNE,
                      [{"id": v, "name": v, "adult_population": 900 if i % 2 else None,
                        "targets": {}} for i, v in enumerate(villages)], START, END)
            commune = Site(commune_dir)
            one_by_one = []
            with switched_off(names, one_by_one):
                start, cpu = time.perf_counter(), time.process_time()
                new = 0
                for path in files:
                    with open(path, "rb") as handle:
                        new += import_batch(commune, handle.read(), source="bench").new
                imports[names].append((time.perf_counter() - start, time.process_time() - cpu))
            assert new == versions == len(commune.store), (names, new, versions,
                                                           len(commune.store))
            # typed decoding off: every record checked one by one; on: none of them
            assert sum(one_by_one) == (versions if "typed" in names else 0), (names, one_by_one)
    parse_s, parse_cpu_s = (min(run[n] for run in parses) for n in (0, 1))
    best = {names: tuple(min(run[n] for run in imports[names]) for n in (0, 1))
            for names in variants}
    import_s, import_cpu_s = best[variants[0]]

    def indicators(names):
        """(wall, cpu) of every indicator from the last commune, `names` switched off."""
        with switched_off(names):
            start, cpu = time.perf_counter(), time.process_time()
            histories = commune.store.histories()
            answer, each = compute_each(commune.settings, histories, END, villages)
            took = time.perf_counter() - start, time.process_time() - cpu
        assert len(answer["by_period"]) == 4 and all(len(a["by_period"]) == 4
                                                     for a in each.values())
        return took
    # compared: each variant's best of `runs`, taking turns; else measured once, as always
    timed = {names: [] for names in variants}
    for run in range(runs if len(variants) > 1 else 1):
        turn = run % len(variants)
        for names in variants[turn:] + variants[:turn]:
            timed[names].append(indicators(names))
    timed = {names: tuple(min(t[n] for t in took) for n in (0, 1))
             for names, took in timed.items()}
    indicators_s, indicators_cpu_s = timed[variants[0]]
    from fieldapp.records import open_forks
    start = time.perf_counter()
    forks = open_forks(commune.store, villages)        # every fork at the commune
    forks_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"files": len(files), "megabytes": round(size / 2**20, 1), "versions": versions,
            "parse_s": round(parse_s, 3), "import_s": round(import_s, 3),
            "indicators_s": round(indicators_s, 3), "peak_rss_mb": round(peak, 1),
            "forks_s": round(forks_s, 3), "forks": len(forks),
            "parse_cpu_s": round(parse_cpu_s, 3), "import_cpu_s": round(import_cpu_s, 3),
            "indicators_cpu_s": round(indicators_cpu_s, 3),
            "parse_runs_s": [round(t, 3) for t, _ in parses],
            "import_runs_s": [round(t, 3) for t, _ in imports[variants[0]]],
            "variants": {variant_name(names): {
                "import_s": round(best[names][0], 3), "import_cpu_s": round(best[names][1], 3),
                "indicators_s": round(timed[names][0], 3),
                "indicators_cpu_s": round(timed[names][1], 3),
                "import_runs_s": [round(t, 3) for t, _ in imports[names]]}
                for names in variants}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser, 3, "Parse passes and imports, in turn; the best of each is kept.")
    parser.add_argument("--compare", action="store_true",
                        help="Also import with each kept speed-up switched off, in turn, and "
                             "print the ratios against the normal import.")
    parser.add_argument("--without", action="append", default=[], choices=sorted(SPEEDUPS),
                        help="Measure with this kept speed-up switched off (repeatable).")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--variants", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare and args.without:
        parser.error("--compare switches every speed-up off in turn: no --without with it")
    first = tuple(sorted(set(args.without)))
    variants = [first] + ([(name,) for name in SPEEDUPS] if args.compare else [])
    if args.generate:
        generate(args.generate, args.versions, args.villages)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs,
                                 [tuple(v) for v in json.loads(args.variants)])))
        return
    root = args.keep or tempfile.mkdtemp(prefix="bench-import-")
    if args.keep and os.path.exists(root):
        shutil.rmtree(root)
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", root, "--versions",
                        str(args.versions), "--villages", str(args.villages)], check=True)
        print(f"generated {args.versions} versions in {time.perf_counter() - start:.1f} s")
        # measured in a process of its own, so generation does not count in peak RSS
        out = subprocess.run([sys.executable, __file__, "--measure", root, "--runs",
                              str(args.runs), "--variants", json.dumps(variants)],
                             check=True, capture_output=True, text=True)
        numbers = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    per_100k = 100_000 / numbers["versions"]
    print(f"{numbers['files']} batch files, {numbers['megabytes']} MB, {numbers['versions']} versions")
    print("                           wall      CPU")
    for label, key in (("json.loads of every file", "parse"), ("import of every file", "import"),
                       (f"indicators (commune, {args.villages} villages, every period)", "indicators")):
        print(f"{label}: {numbers[key + '_s']:.2f} s  {numbers[key + '_cpu_s']:.2f} s")
    if first:
        print(f"(all of it {variant_name(first)})")
    print(f"listing every fork at the commune: {numbers['forks_s']:.3f} s "
          f"({numbers['forks']} forks)")
    print(f"peak RSS of the measuring process: {numbers['peak_rss_mb']:.0f} MB"
          + (" (the highest of all variants)" if args.compare else ""))
    result = {
        "ratio_import_vs_parse": round(numbers["import_s"] / numbers["parse_s"], 2),
        "indicators_s_per_100k_versions": round(
            (numbers["indicators_s"] * per_100k) / (numbers["parse_s"] * per_100k), 2),
        "peak_rss_mb": numbers["peak_rss_mb"],
        "ratio_forks_vs_parse": round(numbers["forks_s"] / numbers["parse_s"], 2),
        "import_s": numbers["import_s"], "parse_s": numbers["parse_s"],
        "indicators_s": numbers["indicators_s"],
        "indicators_seconds_per_100k": round(numbers["indicators_s"] * per_100k, 3),
        "versions": numbers["versions"],
        "parse_runs_s": numbers["parse_runs_s"], "import_runs_s": numbers["import_runs_s"],
        # the same ratios in CPU time, steadier when other processes share the machine
        "ratio_import_vs_parse_cpu": round(numbers["import_cpu_s"] / numbers["parse_cpu_s"], 2),
        "ratio_indicators_vs_parse_cpu": round(numbers["indicators_cpu_s"] / numbers["parse_cpu_s"], 2),
    }
    if first:
        result["without"] = list(first)
    if args.compare:
        normal = numbers["variants"]["normal"]
        print("each kept speed-up switched off (same data, same process, taking turns):")
        result["compare"] = {}
        for names in variants[1:]:
            label, off = variant_name(names), numbers["variants"][variant_name(names)]
            ratios = {
                "import_s": off["import_s"],
                "ratio_import_vs_parse": round(off["import_s"] / numbers["parse_s"], 2),
                "ratio_import_vs_normal": round(off["import_s"] / normal["import_s"], 2),
                "ratio_import_vs_normal_cpu": round(off["import_cpu_s"] / normal["import_cpu_s"], 2),
                "indicators_s": off["indicators_s"],
                "ratio_indicators_vs_normal": round(off["indicators_s"] / normal["indicators_s"], 2),
                "import_runs_s": off["import_runs_s"]}
            result["compare"][label] = ratios
            print(f"  {label} ({SPEEDUPS[names[0]]}): import {off['import_s']:.2f} s = "
                  f"{ratios['ratio_import_vs_parse']} x parse, {ratios['ratio_import_vs_normal']} x "
                  f"normal (CPU {ratios['ratio_import_vs_normal_cpu']} x); indicators "
                  f"{ratios['ratio_indicators_vs_normal']} x normal")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
