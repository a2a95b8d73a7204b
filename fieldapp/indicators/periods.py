"""Campaign periods (SPEC §4): consecutive, inclusive date ranges."""
import datetime
from dataclasses import dataclass

from fieldapp.forms.errors import Invalid
from fieldapp.forms.text import TZ_OFFSET

__all__ = ["Period", "weekly_periods", "monthly_periods", "periods_from_settings",
           "PERIOD_WORDS", "period_kind", "period_word", "numbered", "period_name", "local_cutoff",
           "parse_day", "today_local"]

PERIOD_WORDS = {"week": "tuần", "month": "tháng"}


@dataclass(frozen=True)
class Period:
    """One campaign period, numbered from 1, with inclusive start and end dates."""
    number: int
    start: datetime.date
    end: datetime.date

    def as_json(self):
        """The period as the API shows it."""
        return {"period": self.number, "start": self.start.isoformat(),
                "end": self.end.isoformat()}


def weekly_periods(start, end):
    """7-day periods from `start`; a remainder shorter than a week joins the last one.

    Phú Riềng's 25/7–25/8/2025 gives 25–31/7, 1–7/8, 8–14/8, 15–25/8.
    """
    if end < start:
        raise ValueError("campaign end is before its start")
    periods, day, number = [], start, 1
    while day <= end:
        last = min(day + datetime.timedelta(days=6), end)
        periods.append(Period(number, day, last))
        day, number = last + datetime.timedelta(days=1), number + 1
    if len(periods) > 1 and (periods[-1].end - periods[-1].start).days < 6:
        tail = periods.pop()
        periods[-1] = Period(periods[-1].number, periods[-1].start, tail.end)
    return periods


def monthly_periods(start, end):
    """Calendar-month periods, clipped to the campaign."""
    periods, day, number = [], start, 1
    while day <= end:
        next_month = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        last = min(next_month - datetime.timedelta(days=1), end)
        periods.append(Period(number, day, last))
        day, number = last + datetime.timedelta(days=1), number + 1
    return periods


def periods_from_settings(campaign):
    """The explicit periods stored in a campaign's settings."""
    return [Period(p["period"], datetime.date.fromisoformat(p["start"]),
                   datetime.date.fromisoformat(p["end"])) for p in campaign.get("periods", [])]


def period_kind(campaign):
    """'week' or 'month': how a campaign (its settings) is divided. The stored
    `period_kind` decides; older settings without it are judged by their periods."""
    campaign = campaign or {}
    if campaign.get("period_kind") in PERIOD_WORDS:
        return campaign["period_kind"]
    periods = periods_from_settings(campaign)
    if len(periods) > 1 and periods == monthly_periods(periods[0].start, periods[-1].end):
        return "month"
    # a weekly campaign's last period takes a short remainder: at most 13 days
    return "month" if any((p.end - p.start).days >= 13 for p in periods) else "week"


def period_word(campaign):
    """What one period of the campaign is called, in lower case: 'tuần' or 'tháng'
    (never 'đợt': one word on pages, reports and CSV files)."""
    return PERIOD_WORDS[period_kind(campaign)]


def numbered(word, number):
    """A numbered period in running text: 'tuần 3', 'tháng thứ 2' (a campaign's month 2
    is rarely February, and plans call their monthly reports by the calendar month)."""
    return f"{word} thứ {number}" if word == PERIOD_WORDS["month"] else f"{word} {number}"


def period_name(campaign, number):
    """A period as a heading or a column names it: 'Tuần 3', 'Tháng thứ 2'."""
    return numbered(period_word(campaign), number).capitalize()


def today_local():
    """Today's date in Vietnam."""
    return (datetime.datetime.now(datetime.timezone.utc) + TZ_OFFSET).date()


def parse_day(raw, what="Ngày", typed=False):
    """A day as YYYY-MM-DD (a date input, the API, the CLI) or, `typed` by a person,
    also dd/mm/yyyy, of the years 2000 to 2100; raise Invalid, naming `what`."""
    text = (raw or "").strip()[:20]
    try:
        if typed and "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            value = datetime.date(year, month, day)
        else:
            value = datetime.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{what} “{text}” không hợp lệ: cần dạng "
                      + ("ngày/tháng/năm, ví dụ 14/08/2025." if typed
                         else "YYYY-MM-DD, ví dụ 2025-08-14.")) from None
    if not 2000 <= value.year <= 2100:
        raise Invalid(f"{what} phải nằm trong khoảng năm 2000–2100.")
    return value


def local_cutoff(day):
    """The last UTC timestamp (SPEC format) that falls on `day` in Vietnam."""
    moment = datetime.datetime.combine(day, datetime.time(23, 59, 59, 999000)) - TZ_OFFSET
    return moment.strftime("%Y-%m-%dT%H:%M:%S.999Z")

