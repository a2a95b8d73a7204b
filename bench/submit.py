"""Record submissions under load on the real server, as a ratio to /healthz.

A village with 400 households and 1,500 people is stored; 30 concurrent clients on
127.0.0.1 then, phase by phase for a bounded time, GET /healthz, POST single records and
POST batches of 50. The p95 of each POST phase is divided by the p95 of /healthz under
the same concurrency in the same run. Last line: a JSON object.

    python bench/submit.py [--seconds 8] [--clients 30]
"""
import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.support.factories import VOL_PIN, household, person, village_site  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402


def seed(site, rng):
    """400 households and 1,500 people, one write."""
    homes = [household(f"Hộ {n}", author="minh") for n in range(400)]
    people = [person(rng.choice(homes)["id"], name=f"Người {n}", birth_year=rng.randint(1940, 2020))
              for n in range(1500)]
    site.store.submit(homes + people)


def phase(server, token, clients, seconds, make_body):
    """Run `clients` threads for `seconds`; return the latencies (s) of successful calls."""
    latencies, failures = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(n):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        rng = random.Random(n)
        own = []
        while time.monotonic() < deadline:
            body = make_body(rng)
            method, path = ("GET", "/healthz") if body is None else ("POST", "/api/v1/records")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            if response.status == 200:
                own.append(elapsed)
            else:
                failures.append(response.status)
        conn.close()
        with lock:
            latencies.extend(own)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed: {sorted(set(failures))}")
    return latencies


def p(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def records_body(count):
    def make(rng):
        return json.dumps({"records": [household(f"Hộ mới {rng.random()}", author="minh")
                                       for _ in range(count)]})
    return make


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="duration of each phase")
    parser.add_argument("--clients", type=int, default=30, help="concurrent clients")
    args = parser.parse_args()
    rng = random.Random(2025)
    with tempfile.TemporaryDirectory() as tmp:
        site = village_site(os.path.join(tmp, "village"))
        seed(site, rng)
        server = LiveServer(site.data_dir).start()
        try:
            token = server.login("minh", VOL_PIN)
            results = {}
            for name, make in (("healthz", lambda r: None), ("single", records_body(1)),
                               ("batch50", records_body(50)), ("healthz_after", lambda r: None)):
                results[name] = phase(server, token, args.clients, args.seconds, make)
                print(f"{name:14s} n={len(results[name]):6d}  p50={p(results[name], 50) * 1000:7.1f} ms"
                      f"  p95={p(results[name], 95) * 1000:7.1f} ms", flush=True)
            rss = peak_rss_mb(server.process.pid)
        finally:
            server.stop()
    base = p(results["healthz"] + results["healthz_after"], 95)
    summary = {"p95_healthz_ms": round(base * 1000, 2),
               "p95_single_ms": round(p(results["single"], 95) * 1000, 2),
               "p95_batch50_ms": round(p(results["batch50"], 95) * 1000, 2),
               "ratio_p95_single_vs_healthz": round(p(results["single"], 95) / base, 2),
               "ratio_p95_batch50_vs_healthz": round(p(results["batch50"], 95) / base, 2),
               "server_peak_rss_mb": round(rss, 1) if rss else None,
               "goals": {"ratio_p95_single_vs_healthz": 10, "ratio_p95_batch50_vs_healthz": 20}}
    print(f"server peak RSS: {summary['server_peak_rss_mb']} MB")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
