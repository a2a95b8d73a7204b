"""Province roll-ups at scale: 100 communes x 10 villages x 12 periods.

Makes, in memory, one signed roll-up per commune of Hồ Chí Minh City (province 79, the
first 100 of its official communes and wards), each with 10 villages and 12 weekly
periods of every indicator and of the one-stop shop's rates. Then, in a fresh process
state: times `json.loads` of every file (the baseline), importing every file into a fresh
province site (`fieldapp.province.store.import_rollup`: schema, signature, province,
commune, key pinning, the file kept), and the dashboard's figures (`stored_rollups` read
back and `province_view` of one period and indicator, as /province/ does), each the
best of --runs, taking turns; and peak RSS.
Last line: a JSON object with ratio_import_vs_parse (goal <= 3),
ratio_dashboard_vs_parse (goal <= 1) and peak_rss_mb (goal <= 200).
Measured (2 cores, 10.5 MB of roll-ups): import 2.7x the parse on a quiet machine (6x
under heavy load: its fsyncs wait), the dashboard 0.9x, peak RSS 99 MB. The import was
14x before roll-ups were serialised by orjson and kept as received (sync/rollup.py).

    python bench/province.py [--communes 100] [--villages 10] [--periods 12] [--runs 3]
"""
import argparse
import datetime
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from fieldapp.indicators.definitions import DEFINITIONS  # noqa: E402
from fieldapp.indicators.procedures import RATES  # noqa: E402
from fieldapp.province.figures import province_view  # noqa: E402
from fieldapp.province.store import import_rollup, stored_rollups  # noqa: E402
from fieldapp.site import Site, init_province_site  # noqa: E402
from sync import keys  # noqa: E402
from sync.rollup import FORMAT, VERSION, rollup_bytes, sign_rollup  # noqa: E402

PROVINCE = "79"
START = datetime.date(2025, 7, 7)


def _counts(rng, keys_):
    out = {}
    for key in keys_:
        denominator = rng.randint(50, 900)
        out[key] = {"numerator": rng.randint(0, denominator), "denominator": denominator,
                    "denominator_source": rng.choice(("official", "registered"))}
    return out


def make_files(communes, villages, periods, rng):
    """[(commune code, roll-up bytes)] of signed roll-ups, one per commune."""
    from vietnam_provinces import Ward
    codes = sorted(str(int(w.code)) for w in Ward.iter_by_province(int(PROVINCE)))[:communes]
    campaign_periods = [{"period": n + 1,
                         "start": (START + datetime.timedelta(days=7 * n)).isoformat(),
                         "end": (START + datetime.timedelta(days=7 * n + 6)).isoformat()}
                        for n in range(periods)]
    door = [d.key for d in DEFINITIONS]
    shop = [r.key for r in RATES] + [r.key + "_lci" for r in RATES]
    files = []
    for code in codes:
        key = Ed25519PrivateKey.generate()
        fields = {
            "format": FORMAT, "version": VERSION, "rollup_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "commune_code": code, "commune_name": f"Xã {code}", "province_code": PROVINCE,
            "site": {"id": str(uuid.UUID(int=rng.getrandbits(128))),
                     "public_key": keys.public_key_b64(key)},
            "created_at": "2025-10-01T00:00:00+00:00",
            "as_of": campaign_periods[-1]["end"],
            "campaign": {"start": campaign_periods[0]["start"],
                         "end": campaign_periods[-1]["end"], "period_kind": "week",
                         "periods": campaign_periods},
            "villages": [{"id": f"thon-{v}", "name": f"Thôn {v}",
                          "adult_population": rng.choice((None, rng.randint(300, 900))),
                          "periods": [{"period": p["period"], "complete": True,
                                       "indicators": _counts(rng, door)}
                                      for p in campaign_periods]}
                         for v in range(1, villages + 1)],
            "procedures": [{"period": p["period"], "complete": True,
                            "indicators": _counts(rng, shop)} for p in campaign_periods],
        }
        files.append((code, rollup_bytes(sign_rollup(fields, key))))
    return files, campaign_periods


def best(runs, work):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--villages", type=int, default=10)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(79)
    files, periods = make_files(args.communes, args.villages, args.periods, rng)
    total = sum(len(body) for _, body in files)
    print(f"{len(files)} roll-ups, {total / 1e6:.1f} MB", flush=True)
    root = tempfile.mkdtemp(prefix="fieldapp-province-")
    try:
        end = datetime.date.fromisoformat(periods[-1]["end"])
        sites = []

        def fresh():
            path = os.path.join(root, f"tinh-{len(sites)}")
            init_province_site(path, PROVINCE, START, end)
            site = Site(path)
            sites.append(site)
            return site

        parse_s, import_s, dashboard_s = [], [], []
        for _ in range(args.runs):
            parse_s.append(best(1, lambda: [json.loads(body) for _, body in files]))
            site = fresh()
            import_s.append(best(1, lambda: [import_rollup(site, body) for _, body in files]))
            dashboard_s.append(best(1, lambda: province_view(
                site.settings, stored_rollups(site), args.periods, DEFINITIONS[0].key)))
        parse, imported, dashboard = min(parse_s), min(import_s), min(dashboard_s)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"parse {parse * 1000:.0f} ms, import {imported * 1000:.0f} ms, "
              f"dashboard {dashboard * 1000:.0f} ms, peak RSS {rss:.0f} MB")
        print(json.dumps({"rollups": len(files), "bytes": total,
                          "ratio_import_vs_parse": round(imported / parse, 2),
                          "ratio_dashboard_vs_parse": round(dashboard / parse, 2),
                          "peak_rss_mb": round(rss)}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
