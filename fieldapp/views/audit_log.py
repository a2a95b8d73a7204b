"""The audit log for the site's admins: newest first, filtered by action and date, paged.

The log is read backwards (fieldapp.audit.newest_first) and only one page is kept, so a
long log costs a page of memory; a filter by date stops at the first older entry.
"""
import datetime
import re

from flask import Blueprint, render_template, request

from fieldapp import audit
from fieldapp.auth import accounts as auth
from fieldapp.auth.access import get_site, page
from fieldapp.forms.errors import BadRequest, Invalid
from fieldapp.forms.text import TZ_OFFSET, vn_time
from fieldapp.indicators.periods import parse_day
from fieldapp.records import people_names
from fieldapp.subject_requests import KIND_LABELS

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50
ACTION_RE = re.compile(r"^[a-z0-9_.]{0,40}\Z")
# the fields of an entry shown as its own columns; the others are its details
_PLAIN = {"at", "actor", "action"}
DETAIL_LABELS = {"ids": "bản ghi", "count": "số lượng", "user": "tài khoản", "role": "vai trò",
                 "batch_id": "lô", "request_id": "yêu cầu", "kind": "loại", "new": "mới",
                 "duplicate": "trùng"}
ACTORS = {"cli": "Dòng lệnh trên máy", "system": "Hệ thống", "": "Không rõ"}


def _local_day(at):
    """The Vietnam date of an entry's UTC time, or None when it cannot be read."""
    try:
        moment = datetime.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return (moment + TZ_OFFSET).date()


def _when(at):
    """An entry's time as people read it in Vietnam (25/08/2025 14:02), or as stored."""
    try:
        return vn_time(at)
    except (TypeError, ValueError):
        return str(at or "")


def _day(name, label):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_day(raw, label, typed=True)
    except Invalid as error:
        raise BadRequest(error.message) from None


def _details(entry):
    parts = []
    for key in sorted(set(entry) - _PLAIN):
        value = entry[key]
        if isinstance(value, list):
            value = ", ".join(str(v)[:8] for v in value)
        elif key == "kind":
            value = KIND_LABELS.get(value, value)
        elif key.endswith("_id") and isinstance(value, str):
            value = value[:8]
        parts.append(f"{DETAIL_LABELS.get(key, key)}: {value}")
    return "; ".join(parts)


def _row(entry, names):
    """What the page shows of an entry: when, the action's words, who (name and login)."""
    actor = str(entry.get("actor", ""))
    return {"when": _when(entry.get("at")), "action": entry.get("action", ""),
            "label": audit.label(entry.get("action", "")),
            "login": "" if actor in ACTORS else actor,
            "who": names.get(actor) or ACTORS.get(actor, actor), "details": _details(entry)}


@bp.get("/audit")
@page("admin")
def index():
    """One page of the audit log, newest first."""
    site = get_site()
    action = request.args.get("action", "").strip()
    if not ACTION_RE.match(action):
        raise BadRequest("Bộ lọc việc không hợp lệ: hãy chọn trong danh sách.")
    since, until = _day("since", "Từ ngày"), _day("until", "Đến ngày")
    page_no = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    skip, shown, more = (page_no - 1) * PAGE_SIZE, [], False
    for entry in audit.newest_first(site, action or None):
        day = _local_day(entry.get("at"))
        if until and day and day > until:
            continue
        if since and day and day < since:
            break               # the log is in time order: everything further is older
        if skip:
            skip -= 1
            continue
        if len(shown) == PAGE_SIZE:
            more = True
            break
        shown.append(entry)
    names = {**auth.account_names(site), **people_names(site.store, site.village_ids)}
    rows = [_row(e, names) for e in shown]
    return render_template("audit.html", rows=rows, action=action, since=since, until=until,
                           page_no=page_no, more=more, groups=audit.ACTION_GROUPS)
