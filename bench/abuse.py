"""Abuse of the real server from the village Wi-Fi (issue 14).

`amplification_upload`: a commune server under waitress takes a gzip bomb (a real village
batch header, then records of `{},` inflating to 250 MB from about 250 KB) pushed with a
village's push token, then uploaded by staff. Prints how long each refusal took and how
much the server's peak RSS (VmHWM) grew; goal: refused in seconds, growth < 300 MB.
Last line: a JSON object of the figures.

    python bench/abuse.py [--inflated-mb 250]
"""
import argparse
import json
import os
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests import factories  # noqa: E402
from tests.live import LiveServer  # noqa: E402
from tests.sync_support import filled_village, push_token  # noqa: E402

MB = 1024 * 1024


def _peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024


def _bomb(header, inflated):
    """A gzip batch: `header`'s fields, then `{},` records inflating to `inflated` bytes."""
    import uuid
    fields = {k: v for k, v in header.items() if k != "records"}
    fields["batch_id"] = str(uuid.uuid4())
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(json.dumps(fields).encode()[:-1] + b',"records":[')]
    chunk = b"{}," * (1 << 20)
    parts += [packer.compress(chunk) for _ in range(inflated // len(chunk))]
    parts += [packer.compress(b"{}]}"), packer.flush()]
    return b"".join(parts)


def amplification_upload(inflated_mb=250, workdir=None):
    """Start a commune server, upload the bomb with a push token and as staff; return
    {sizes, each refusal's status and seconds, peak RSS before and growth}."""
    from sync.batch import batch_bytes, gzip_bytes
    from sync.transfer import export_batch
    root = workdir or tempfile.mkdtemp(prefix="fieldapp-abuse-")
    commune = factories.commune_site(os.path.join(root, "commune"))
    village = filled_village(os.path.join(root, "village"))
    token = push_token(commune.data_dir, "thon-3")
    server = LiveServer(commune.data_dir).start()
    try:
        staff = server.login("canbo", factories.PASSWORD)
        real = export_batch(village)
        status, _ = server.request("POST", "/api/v1/batches", token=token,
                                   raw=gzip_bytes(batch_bytes(real)))
        assert status == 200, status
        before = _peak_rss_mb(server.process.pid)
        bomb = _bomb(real, inflated_mb * MB)
        answers = {}
        for who, bearer in (("push_token", token), ("staff", staff)):
            started = time.monotonic()
            status, body = server.request("POST", "/api/v1/batches", raw=bomb, token=bearer)
            answers[who] = {"status": status, "seconds": round(time.monotonic() - started, 2),
                            "problem": (body.get("error", {}).get("details") or {}).get("problem")
                            if isinstance(body, dict) else None}
        started = time.monotonic()
        healthz = server.request("GET", "/healthz")[0]
        growth = _peak_rss_mb(server.process.pid) - before
    finally:
        server.stop()
    result = {"bomb_kb": len(bomb) // 1024, "inflated_mb": inflated_mb, **answers,
              "healthz_status": healthz, "healthz_s": round(time.monotonic() - started, 2),
              "peak_rss_before_mb": round(before), "peak_rss_growth_mb": round(growth),
              "goal_growth_mb": 300}
    for who in ("push_token", "staff"):
        print(f"{who}: HTTP {answers[who]['status']} ({answers[who]['problem']}) "
              f"in {answers[who]['seconds']} s")
    print(f"bomb {result['bomb_kb']} KB inflating to {inflated_mb} MB; server peak RSS "
          f"{result['peak_rss_before_mb']} MB, grew {result['peak_rss_growth_mb']} MB (goal < 300)")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated-mb", type=int, default=250,
                        help="How far the gzip bomb inflates, in MB.")
    args = parser.parse_args()
    print(json.dumps(amplification_upload(args.inflated_mb), ensure_ascii=False))


if __name__ == "__main__":
    main()
