"""The day a dashboard counts up to: the one asked for in ?as_of=, else today in
Vietnam kept inside the campaign, with a note saying when it was moved."""
import datetime

from flask import request

from fieldapp.forms.errors import BadRequest, Invalid
from fieldapp.forms.text import vn_date
from fieldapp.indicators.periods import parse_day, today_local


def counted_day(settings, today=None):
    """(date, note or None) for a dashboard of a site with these settings.

    After the campaign's end the figures stop at its last day and the note says so,
    with the date; before its start they begin at its first day. A date typed in
    ?as_of= is taken as asked (a bad one is a 400 with a Vietnamese message).
    """
    raw = request.args.get("as_of", "")[:20]
    if raw:
        try:
            return parse_day(raw, "Ngày xem", typed=True), None
        except Invalid as error:
            raise BadRequest(error.message) from None
    today = today or today_local()
    campaign = settings.get("campaign") or {}
    end = campaign.get("end") and datetime.date.fromisoformat(campaign["end"])
    start = campaign.get("start") and datetime.date.fromisoformat(campaign["start"])
    if end and today > end:
        return end, (f"Chiến dịch đã kết thúc ngày {vn_date(end)}: "
                     "số liệu tính đến ngày cuối chiến dịch.")
    if start and today < start:
        return start, (f"Chiến dịch chưa bắt đầu (bắt đầu ngày {vn_date(start)}): "
                       "số liệu tính đến ngày đầu chiến dịch.")
    return today, None
