"""How slow is checking a PIN, and what does that mean for guessing one?

Measures the seconds one verification of a stored secret takes (the scrypt parameters
fieldapp stores), against a baseline of one SHA-256 in the same run, then prints how
long guessing all 1,000,000 six-digit PINs would take:
  - online, through the login page or API, with the lockout (MAX_FAILURES guesses per
    LOCK_MINUTES per account);
  - offline, by someone who copied meta.json off the laptop, per CPU core.
Last line: a JSON object.

    python bench/hashing.py [--rounds 20]
"""
import argparse
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.security import check_password_hash, generate_password_hash  # noqa: E402

from fieldapp.auth.accounts import LOCK_MINUTES, MAX_FAILURES  # noqa: E402

PINS = 1_000_000


def per_call(function, rounds):
    start = time.perf_counter()
    for _ in range(rounds):
        function()
    return (time.perf_counter() - start) / rounds


def human(seconds):
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600),
                       ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    stored = generate_password_hash("482913")
    method = stored.split("$", 1)[0]
    verify = per_call(lambda: check_password_hash(stored, "000000"), args.rounds)
    baseline = per_call(lambda: hashlib.sha256(b"000000").hexdigest(), args.rounds * 1000)
    online = PINS / MAX_FAILURES * LOCK_MINUTES * 60        # expected: half of that
    offline = PINS * verify
    print(f"stored method: {method}")
    print(f"one verification: {verify * 1000:.1f} ms "
          f"({verify / baseline:,.0f}x one SHA-256 of the same PIN)")
    print(f"online, with the lockout ({MAX_FAILURES} tries per {LOCK_MINUTES} min): "
          f"all PINs in {human(online)}, half on average")
    per_day = MAX_FAILURES * (24 * 60 // LOCK_MINUTES)
    print(f"  i.e. {per_day} guesses a day per account: a {per_day / PINS:.3%} chance a day of "
          f"finding one account's PIN ({30 * per_day / PINS:.2%} for one of 30 accounts)")
    print(f"online, without a lockout, one thread: {human(offline)}")
    print(f"offline from a copied meta.json, per core: {human(offline)} "
          "(six digits are no protection once the file is stolen: keep the laptop "
          "encrypted and locked)")
    print(json.dumps({"method": method, "seconds_per_verification": round(verify, 4),
                      "ratio_to_sha256": round(verify / baseline),
                      "online_all_pins_days": round(online / 86400, 1),
                      "offline_all_pins_hours_per_core": round(offline / 3600, 1)}))


if __name__ == "__main__":
    main()
