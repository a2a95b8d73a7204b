"""The log of citizens' requests about their data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP).

DATA/subject_requests.log is append-only (storage.journal): one "opened" entry per
request, an "answered" entry when the person has been given an answer (what will be done,
and how), then a "done" entry when it is carried out (which answers it too, if nothing
did before). A request names its subject by record id (a household or a person), never
by name: kind (see / correct / erase), the village, the day it was received (Vietnam
date), its deadline, who recorded it and who closed it.

The deadline: Decree 356/2025/NĐ-CP has the controller answer a request within 2 working
days and carry it out within 10 to 20 days by kind, extendable once by up to 15 days
(as summarised by Frasers Vietnam, 19/01/2026, and CDLAF on Decree 356; the Decree's own
per-kind days were not found). So the days are ONE constant, the shortest of that range,
and a site setting `subject_request_days` the village admin sets on /settings
(docs/erasure.md, "The deadline of a request", has the sources).
"""
import datetime
import os
import uuid

from fieldapp.forms.errors import Conflict, Invalid, NotFound
from storage.journal import append_entry, read_entries

__all__ = ["KINDS", "KIND_LABELS", "DEFAULT_REQUEST_DAYS", "ANSWER_WORKING_DAYS", "request_days",
           "parse_request_days", "deadline", "answer_due", "open_request", "mark_answered",
           "mark_done", "all_requests", "days_left", "answer_late", "open_counts"]

KINDS = ("see", "correct", "erase")
KIND_LABELS = {"see": "Xem / nhận bản sao", "correct": "Sửa", "erase": "Xóa"}
SUBJECT_TYPES = ("household", "person")

# Days from receipt to the legal deadline, unless the site sets `subject_request_days`:
# the shorter end of Decree 356/2025/NĐ-CP's 10-20 days (see the module's docstring).
DEFAULT_REQUEST_DAYS = 10
# Decree 356/2025/NĐ-CP: the person is answered within 2 working days of the request
ANSWER_WORKING_DAYS = 2


def _path(site):
    return os.path.join(site.data_dir, "subject_requests.log")


def request_days(settings):
    """Days to the deadline: the site's `subject_request_days` (a whole number 1-90), else
    DEFAULT_REQUEST_DAYS."""
    days = settings.get("subject_request_days", DEFAULT_REQUEST_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        return DEFAULT_REQUEST_DAYS
    return days


def parse_request_days(raw):
    """(days, None) of a settings form's text, or (None, the Vietnamese error shown under
    the field): a whole number from 1 to 90."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 90):
        return None, "Phải là số ngày nguyên từ 1 đến 90."
    return int(text), None


def deadline(settings, received):
    """The legal deadline (a date) of a request received on `received`."""
    return received + datetime.timedelta(days=request_days(settings))


def answer_due(received):
    """The last day to answer the person: ANSWER_WORKING_DAYS working days (Monday to
    Friday) after the day received. Public holidays are not known here, so a holiday in
    between makes the day early, never late."""
    day, left = received, ANSWER_WORKING_DAYS
    while left:
        day += datetime.timedelta(days=1)
        left -= day.weekday() < 5
    return day


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def open_request(site, actor, kind, subject_type, subject_id, village_id, received, done=False):
    """Log a new request and return it (as `all_requests` shows it). `done=True` logs one
    answered at once (an export made on the spot). Raise Invalid on a bad kind or subject."""
    if kind not in KINDS:
        raise Invalid("Loại yêu cầu không hợp lệ: chọn xem, sửa hoặc xóa.")
    if subject_type not in SUBJECT_TYPES or not subject_id:
        raise Invalid("Hãy chọn một hộ hoặc một người.")
    if not isinstance(received, datetime.date):
        raise Invalid("Ngày nhận yêu cầu không hợp lệ.")
    request_id = str(uuid.uuid4())
    append_entry(_path(site), {
        "event": "opened", "request_id": request_id, "at": _now(), "by": actor or "",
        "kind": kind, "subject_type": subject_type, "subject_id": subject_id,
        "village_id": village_id, "received": received.isoformat(),
        "deadline": deadline(site.settings, received).isoformat()})
    if done:
        append_entry(_path(site), {"event": "done", "request_id": request_id, "at": _now(),
                                   "by": actor or ""})
    return next(r for r in all_requests(site) if r["id"] == request_id)


def _open(site, request_id, village_ids):
    """The open request `request_id` of `village_ids` (None: any); NotFound or Conflict."""
    found = next((r for r in all_requests(site, village_ids) if r["id"] == request_id), None)
    if found is None:
        raise NotFound("Không tìm thấy yêu cầu này.")
    if found["status"] == "done":
        raise Conflict("Yêu cầu này đã được xử lý xong.")
    return found


def _append_event(site, event, actor, request_id, village_ids):
    """Append `event` ("answered" or "done") to the open request `request_id` of
    `village_ids`, checked under the site's lock so that two marks at once note one;
    return (the request as it was, the entry's time). Raise NotFound or Conflict."""
    with site.lock:
        found = _open(site, request_id, village_ids)
        if event == "answered" and found["answered_at"]:
            raise Conflict("Yêu cầu này đã được ghi là đã phản hồi người dân.")
        at = _now()
        append_entry(_path(site), {"event": event, "request_id": request_id, "at": at,
                                   "by": actor or ""})
    return found, at


def mark_answered(site, actor, request_id, village_ids=None):
    """Note that the person has been answered; raise NotFound, or Conflict when the
    request is closed or was answered already."""
    found, at = _append_event(site, "answered", actor, request_id, village_ids)
    return dict(found, answered_at=at, answered_by=actor or "")


def mark_done(site, actor, request_id, village_ids=None):
    """Close an open request of `village_ids` (None: any); raise NotFound or Conflict."""
    found, _ = _append_event(site, "done", actor, request_id, village_ids)
    return dict(found, status="done", handled_by=actor or "")


def all_requests(site, village_ids=None, subject_ids=None):
    """The requests, oldest received first, optionally of some villages or subjects:
    [{"id", "kind", "subject_type", "subject_id", "village_id", "received", "deadline",
    "answer_due" (ISO dates), "status": "open"|"done", "recorded_by", "recorded_at",
    "answered_by", "answered_at", "handled_by", "done_at"}]."""
    found = {}
    for entry in read_entries(_path(site)):
        request_id = entry.get("request_id")
        if entry.get("event") == "opened" and request_id not in found:
            found[request_id] = {
                "id": request_id, "kind": entry["kind"], "subject_type": entry["subject_type"],
                "subject_id": entry["subject_id"], "village_id": entry["village_id"],
                "received": entry["received"], "deadline": entry["deadline"],
                "answer_due": answer_due(datetime.date.fromisoformat(entry["received"]))
                .isoformat(),
                "status": "open", "recorded_by": entry.get("by", ""), "recorded_at": entry["at"],
                "answered_by": "", "answered_at": "", "handled_by": "", "done_at": ""}
        elif entry.get("event") in ("answered", "done") and request_id in found:
            row = found[request_id]
            if not row["answered_at"]:
                row.update(answered_by=entry.get("by", ""), answered_at=entry.get("at", ""))
            if entry["event"] == "done":
                row.update(status="done", handled_by=entry.get("by", ""),
                           done_at=entry.get("at", ""))
    chosen = [r for r in found.values()
              if (village_ids is None or r["village_id"] in village_ids)
              and (subject_ids is None or r["subject_id"] in subject_ids)]
    return sorted(chosen, key=lambda r: (r["received"], r["recorded_at"]))


def days_left(request, today):
    """Whole days from `today` to the request's deadline (negative once overdue)."""
    return (datetime.date.fromisoformat(request["deadline"]) - today).days


def answer_late(request, today):
    """Whether the person should have been answered by `today` and was not."""
    return not request["answered_at"] and today > datetime.date.fromisoformat(
        request["answer_due"])


def open_counts(site, village_ids, today):
    """(open requests, of which overdue: past their deadline, or not answered in time) of
    the villages, as of `today`."""
    pending = [r for r in all_requests(site, village_ids) if r["status"] == "open"]
    return len(pending), sum(1 for r in pending
                             if days_left(r, today) < 0 or answer_late(r, today))
