"""How long citizens' data is kept after the campaign (issue #16, retention).

A site setting `retention_days` (days after the campaign's end, default 180); once that
date is reached, `fieldapp purge` (not yet written) de-identifies every record with
`fieldapp.forms.erasure.deidentify_version`.
"""
import datetime

__all__ = ["DEFAULT_RETENTION_DAYS", "retention_days", "purge_date", "purge_due"]

DEFAULT_RETENTION_DAYS = 180


def retention_days(settings):
    """The site's retention in days; the default when unset or not a whole number >= 0."""
    days = settings.get("retention_days", DEFAULT_RETENTION_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        return DEFAULT_RETENTION_DAYS
    return days


def purge_date(settings):
    """The first local date on which the site's records are to be de-identified."""
    end = datetime.date.fromisoformat(settings["campaign"]["end"])
    return end + datetime.timedelta(days=retention_days(settings))


def purge_due(settings, today):
    """True from the purge date on."""
    return today >= purge_date(settings)
