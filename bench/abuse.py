"""Someone on the village Wi-Fi attacking the real server: how much does it get through?

guessing_wave: parallel PIN guesses at POST /api/v1/login (--wave of them always in
flight, as a script with a few threads sends them), PIN after PIN as a sweep of all
1,000,000 would go, against one volunteer's account and then a username with no account.
A 401 answer is a guess the server evaluated (a locked account answers 429 before any
hash is computed), so the 401s per 15 minutes are the guesses evaluated per lock window
per account; the goal is at most MAX_FAILURES (5). The sweep passes the account's real
PIN at guess 51, as the one of the issue found it after 101; afterwards the right PIN is
sent once more and must be refused. The unknown name must get the same answers, or who
gets 429 tells which names exist.

amplification_upload: a commune server takes a gzip bomb (a real village batch header,
then records of `{},` inflating to 250 MB from about 250 KB) pushed with a village's push
token, then uploaded by staff. Prints how long each refusal took and how much the
server's peak RSS (VmHWM) grew; goal: refused in seconds, growth < 300 MB.

The server is the real `fieldapp serve` on 127.0.0.1, on a fresh data directory; every
loop is bounded by --seconds and a number of guesses. Last line: a JSON object.

    python bench/abuse.py [--seconds 20] [--wave 5] [--inflated-mb 250]
"""
import argparse
import datetime
import itertools
import json
import os
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fieldapp.auth.accounts import LOCK_MINUTES, MAX_FAILURES, add_user  # noqa: E402
from fieldapp.site import init_site  # noqa: E402
from fieldapp.site import Site  # noqa: E402
from tests.support import factories  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402
from tests.support.batches import filled_village, gzip_bomb, push_token  # noqa: E402

VILLAGE = "thon-3"
USERNAME, UNKNOWN = "minh", "khong-co-ai"
FIRST_GUESS = 730000
MAX_GUESSES = 20_000


def village(root, pin):
    """A fresh village site with one volunteer whose PIN is `pin`; its data directory."""
    today = datetime.date.today()
    data_dir = os.path.join(root, "village")
    init_site(data_dir, "village", "25264",
              [{"id": VILLAGE, "name": "Thôn 3", "adult_population": None, "targets": {}}],
              today - datetime.timedelta(days=7), today + datetime.timedelta(days=21))
    add_user(Site(data_dir), USERNAME, "volunteer", pin, VILLAGE)
    return data_dir


def most_in_a_window(moments, window):
    """The largest number of `moments` (seconds) inside any `window` seconds."""
    moments, best, first = sorted(moments), 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def sweep(server, username, seconds, wave):
    """`wave` guesses always in flight at one username (each sender sends its next PIN as
    soon as its answer comes), PIN after PIN from FIRST_GUESS, for `seconds`:
    (seconds taken of each 401 answer, guesses sent, found)."""
    pins = itertools.count(FIRST_GUESS)
    lock = threading.Lock()
    evaluated, sent, found = [], [], []
    began = time.monotonic()

    def sender():
        while time.monotonic() - began < seconds:
            with lock:
                pin = next(pins)
                if pin - FIRST_GUESS >= MAX_GUESSES:
                    return
            status, _ = server.request("POST", "/api/v1/login",
                                       {"username": username, "secret": f"{pin:06d}"})
            with lock:
                sent.append(pin)
                if status == 200:
                    found.append(pin)
                if status == 401:
                    evaluated.append(time.monotonic() - began)

    senders = [threading.Thread(target=sender) for _ in range(wave)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    return evaluated, len(sent), bool(found)


def guessing_wave(seconds=20.0, wave=5, root=None):
    """Sweep with `wave` parallel PIN guesses for `seconds` at an account (its right PIN
    is guess 51), then as long at a name with no account; print and return the guesses
    evaluated per lock window for each."""
    root = root or tempfile.mkdtemp(prefix="fieldapp-abuse-")
    window = LOCK_MINUTES * 60
    right = f"{FIRST_GUESS + 50:06d}"
    server = LiveServer(village(root, right)).start()
    try:
        results = {name: sweep(server, name, seconds, wave) for name in (USERNAME, UNKNOWN)}
        after, _ = server.request("POST", "/api/v1/login", {"username": USERNAME, "secret": right})
    finally:
        server.stop()
    per_window = {name: most_in_a_window(found[0], window) for name, found in results.items()}
    print(f"guessing: {wave} parallel PINs in flight for {seconds:g} s per name "
          f"(the account's right PIN is guess 51)")
    for name, (evaluated, sent, found) in results.items():
        print(f"  {name:12s} {sent:5d} sent, {len(evaluated):4d} evaluated, "
              f"at most {per_window[name]} per {LOCK_MINUTES} min (goal <= {MAX_FAILURES}); "
              f"PIN found: {found}")
    print(f"  the right PIN after the waves: HTTP {after} (refused: {after == 429})")
    return {"wave": wave, "seconds_per_name": seconds,
            "guesses_sent_per_account": results[USERNAME][1],
            "guesses_evaluated_per_15_min": per_window[USERNAME],
            "unknown_name_evaluated_per_15_min": per_window[UNKNOWN],
            "goal_per_15_min": MAX_FAILURES, "pin_found": results[USERNAME][2],
            "right_pin_after_waves_status": after,
            "same_answers_for_unknown_name": per_window[USERNAME] == per_window[UNKNOWN]}


MB = 1024 * 1024


def _peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024


def amplification_upload(inflated_mb=250, workdir=None):
    """Start a commune server, upload the bomb with a push token and as staff; return
    {sizes, each refusal's status and seconds, peak RSS before and growth}."""
    from sync.batch import batch_bytes, gzip_bytes
    from sync.export import export_batch
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
        bomb = gzip_bomb(dict(real, batch_id=str(uuid.uuid4())), inflated_mb * MB)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the guessing")
    parser.add_argument("--wave", type=int, default=5, help="guesses in flight at once")
    parser.add_argument("--inflated-mb", type=int, default=250,
                        help="how far the gzip bomb inflates, in MB")
    args = parser.parse_args()
    results = {"guessing": guessing_wave(args.seconds, args.wave),
               "amplification": amplification_upload(args.inflated_mb)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
