"""The purge falls due retention_days after the campaign's end (180 by default)."""
import datetime

from fieldapp.retention import DEFAULT_RETENTION_DAYS, purge_date, purge_due

D = datetime.date
CAMPAIGN = {"campaign": {"start": "2025-07-25", "end": "2025-08-25"}}


def test_the_default_purge_date_is_180_days_after_the_campaign_end():
    assert DEFAULT_RETENTION_DAYS == 180
    assert purge_date(CAMPAIGN) == D(2025, 8, 25) + datetime.timedelta(days=180)
    assert not purge_due(CAMPAIGN, D(2026, 2, 20)) and purge_due(CAMPAIGN, D(2026, 2, 21))


def test_a_site_setting_changes_the_date_and_a_bad_one_falls_back_to_the_default():
    assert purge_date(dict(CAMPAIGN, retention_days=30)) == D(2025, 9, 24)
    assert purge_date(dict(CAMPAIGN, retention_days=0)) == D(2025, 8, 25)
    for bad in (-1, "30", True, 2.5, None):
        assert purge_date(dict(CAMPAIGN, retention_days=bad)) == D(2026, 2, 21)
