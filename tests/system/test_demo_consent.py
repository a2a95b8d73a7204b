"""The demo's seeded data keeps to the consent rules (SPEC §3): every version passes the
record rules, a phone only where `phone_contact` was agreed, a comment only with the
surveyed person's `satisfaction_survey`; and the commune received every one of them."""
import datetime

from fieldapp.forms.consent import comment_allowed
from fieldapp.forms.versions import check_version
from fieldapp.site import Site

LATER = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)


def test_the_demo_data_passes_the_consent_rules_and_reaches_the_commune(demo):
    total, phones, comments = 0, 0, 0
    for village in sorted((demo.root / "villages").iterdir()):
        site = Site(str(village))
        currents = {v["id"]: v["data"] for v in site.store.currents() if not v["deleted"]}
        for history in site.store.histories().values():
            for version in history:
                total += 1
                check = check_version(version, LATER, check_future=False)
                assert check.errors == {}, (version, check.errors)
                data = version["data"]
                phones += bool(data.get("phone"))
                if version["type"] == "survey" and data.get("comment"):
                    comments += 1
                    assert comment_allowed(data, currents.get) is True, version
        site.close()
    assert phones > 100 and comments > 50          # the demo still shows both
    commune = Site(str(demo.root / "commune"))
    assert sum(len(h) for h in commune.store.histories().values()) >= total
    commune.close()
