"""Small builders of sites, users and record versions for tests."""
import contextlib
import datetime
import functools
import uuid

from tinydb import Query
from werkzeug.security import generate_password_hash

from fieldapp.auth.accounts import add_user
from fieldapp.site import Site, init_site

COMMUNE = "25264"
START, END = datetime.date(2025, 7, 25), datetime.date(2025, 8, 25)
LEAD_PIN, VOL_PIN, PASSWORD = "482913", "730164", "mat-khau-dai-2025"
# A test setting, never the app's: checking one of the app's scrypt hashes costs about
# 0.1 s here, and most tests sign in without being about hashing. With quick_hashes=True
# a builder remakes its users' stored hashes with this cheap werkzeug method, which the
# app's check_password_hash verifies like any other. The app always stores scrypt
# (pinned by test_bruteforce, whose sites keep the app's own hashes).
QUICK_TEST_HASH = "pbkdf2:sha256:1"


def quick_hashing():
    """Make the app store new secrets with QUICK_TEST_HASH in this process (tests/conftest.py
    does so for the whole run); returns the function it replaced. Servers and commands run
    as subprocesses still hash with the app's scrypt."""
    from fieldapp.auth import accounts
    real = accounts.generate_password_hash
    accounts.generate_password_hash = functools.partial(generate_password_hash,
                                                        method=QUICK_TEST_HASH)
    accounts._dummy_hash.cache_clear()
    return real


@contextlib.contextmanager
def real_hashes():
    """The app's own scrypt hashing inside the block, for tests about hashing."""
    from fieldapp.auth import accounts
    quick = accounts.generate_password_hash
    accounts.generate_password_hash = generate_password_hash
    accounts._dummy_hash.cache_clear()
    try:
        yield
    finally:
        accounts.generate_password_hash = quick
        accounts._dummy_hash.cache_clear()


# The test campaign ended in 2025, past the default retention (fieldapp.retention), so
# `serve` would purge a test site at start: test sites keep their data unless a test
# asks for a retention (retention_days=None: the site's default).
TEST_RETENTION_DAYS = 36500


def _keep_data(site, retention_days):
    if retention_days is not None:
        site.update_settings(lambda settings: settings.update(retention_days=retention_days))


def village_site(path, village_id="thon-3", name="Thôn 3", adult_population=None,
                 users=True, quick_hashes=False, retention_days=TEST_RETENTION_DAYS):
    """A village site at `path` with a lead `lan` and a volunteer `minh` (and admin)."""
    init_site(str(path), "village", COMMUNE,
              [{"id": village_id, "name": name, "adult_population": adult_population,
                "targets": {}}], START, END)
    site = Site(str(path))
    _keep_data(site, retention_days)
    if users:
        add_user(site, "lan", "lead", LEAD_PIN, village_id)
        add_user(site, "minh", "volunteer", VOL_PIN, village_id)
        add_user(site, "quantri", "admin", PASSWORD)
        if quick_hashes:
            _quick_hashes(site, {"lan": LEAD_PIN, "minh": VOL_PIN, "quantri": PASSWORD})
    return site


def commune_site(path, villages=(("thon-3", "Thôn 3", None),), users=True, quick_hashes=False,
                 retention_days=TEST_RETENTION_DAYS):
    """A commune site at `path` with staff `canbo` and admin `quantri`."""
    init_site(str(path), "commune", COMMUNE,
              [{"id": v, "name": n, "adult_population": a, "targets": {}} for v, n, a in villages],
              START, END)
    site = Site(str(path))
    _keep_data(site, retention_days)
    if users:
        add_user(site, "canbo", "staff", PASSWORD)
        add_user(site, "quantri", "admin", PASSWORD)
        if quick_hashes:
            _quick_hashes(site, {"canbo": PASSWORD, "quantri": PASSWORD})
    return site


def _quick_hashes(site, secrets):
    """Store each user's secret hashed with QUICK_TEST_HASH instead of the app's scrypt."""
    with site.meta_lock:
        for username, secret in secrets.items():
            site.table("users").update(
                {"secret_hash": generate_password_hash(secret, method=QUICK_TEST_HASH)},
                Query().username == username)


def stamp(day, hour=10, minute=0, ms=0):
    """A SPEC timestamp for a local (Vietnam) date and hour."""
    local = datetime.datetime.combine(day, datetime.time(hour, minute, 0, ms * 1000))
    utc = local - datetime.timedelta(hours=7)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"


def version(kind, data, village_id="thon-3", day=START, hour=10, author="minh",
            device_id="ph-minh", record_id=None, deleted=False, minute=0, ms=0):
    """A record version."""
    return {"id": record_id or str(uuid.uuid4()), "type": kind, "village_id": village_id,
            "updated_at": stamp(day, hour, minute, ms), "device_id": device_id,
            "author": author, "deleted": deleted, "data": data}


def consent(*purposes, on=START, by="self"):
    """A consent (SPEC §3) to `purposes` (default: all three) on the notice of today."""
    from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
    return {"notice_version": NOTICE_VERSION, "purposes": list(purposes or PURPOSES),
            "by": by, "on": on.isoformat()}


def household(head="Nguyễn Văn An", **kw):
    return version("household", {"head_name": head, "address": "Xóm 1"}, **kw)


def person(household_id, name="Trần Thị Bình", birth_year=1980, vneid="none",
           bank_account=False, online=False, **kw):
    return version("person", {"household_id": household_id, "full_name": name,
                              "birth_year": birth_year, "vneid": vneid,
                              "bank_account": bank_account, "uses_online_services": online}, **kw)


def visit(household_id, outcome="met", help=(), day=START, **kw):
    return version("visit", {"household_id": household_id, "visited_on": day.isoformat(),
                             "outcome": outcome, "help": list(help)}, day=day, **kw)


def survey(area="civil_status", rating=5, day=START, household_id=None, **kw):
    data = {"surveyed_on": day.isoformat(), "service_area": area, "rating": rating}
    if household_id:
        data["household_id"] = household_id
    return version("survey", data, day=day, **kw)


def roster_member(site, username, full_name, role="volunteer", village_id="thon-3"):
    """Put `username` on the village's team roster under a person's name (a member record,
    as the volunteers page writes it); return the version."""
    from fieldapp.forms.versions import make_version, member_record_id
    member = make_version("member", village_id, {
        "full_name": full_name, "username": username, "role": role, "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], username))
    site.store.submit([member])
    return member
