"""The log of requests about personal data: deadlines from the day received, the site's
setting, the answer due within 2 working days, open and overdue counts, and
`fieldapp subject requests|request|done`."""
import datetime
import json
import threading

import pytest

from fieldapp import audit, subject_requests
from fieldapp.cli import main
from fieldapp.forms.errors import Conflict, Invalid, NotFound
from fieldapp.indicators.periods import today_local
from tests.support import factories as f

DAY = datetime.timedelta(days=1)


def test_a_deadline_is_the_days_after_the_day_received(site):
    received = datetime.date(2026, 12, 28)
    logged = subject_requests.open_request(site, "lan", "erase", "household", "h-1", "thon-3",
                                           received)
    expected = received + subject_requests.DEFAULT_REQUEST_DAYS * DAY
    assert logged["deadline"] == expected.isoformat() == "2027-01-07"
    assert logged["status"] == "open" and logged["recorded_by"] == "lan"


def working_days_later(day, n):
    """`day` plus `n` days from Monday to Friday, counted one calendar day at a time."""
    while n:
        day += DAY
        if day.isoweekday() <= 5:
            n -= 1
    return day


@pytest.mark.parametrize("received", [datetime.date(2026, 12, d) for d in range(1, 15)])
def test_the_person_is_answered_within_two_working_days(site, received):
    logged = subject_requests.open_request(site, "lan", "see", "person", "p-1", "thon-3",
                                           received)
    due = datetime.date.fromisoformat(logged["answer_due"])
    assert due == working_days_later(received, subject_requests.ANSWER_WORKING_DAYS)
    assert due.isoweekday() <= 5 and 2 <= (due - received).days <= 4
    assert not subject_requests.answer_late(logged, due)
    assert subject_requests.answer_late(logged, due + DAY)


def test_answering_is_noted_once_and_closing_answers_too(site):
    received = today_local() - 9 * DAY
    first = subject_requests.open_request(site, "lan", "see", "person", "p-1", "thon-3", received)
    second = subject_requests.open_request(site, "lan", "erase", "person", "p-2", "thon-3",
                                           received)
    noted = subject_requests.mark_answered(site, "minh", first["id"], ["thon-3"])
    assert noted["answered_by"] == "minh" and noted["answered_at"]
    with pytest.raises(Conflict):
        subject_requests.mark_answered(site, "lan", first["id"])
    with pytest.raises(NotFound):
        subject_requests.mark_answered(site, "lan", second["id"], ["thon-4"])
    subject_requests.mark_done(site, "lan", second["id"])
    rows = {r["id"]: r for r in subject_requests.all_requests(site)}
    assert rows[first["id"]]["answered_by"] == "minh"
    assert rows[second["id"]]["answered_by"] == "lan" and rows[second["id"]]["answered_at"]
    assert not subject_requests.answer_late(rows[second["id"]], today_local())
    with pytest.raises(Conflict):                   # closed: nothing more to answer
        subject_requests.mark_answered(site, "lan", second["id"])


@pytest.mark.parametrize("mark", [subject_requests.mark_answered, subject_requests.mark_done])
def test_two_marks_of_one_request_at_once_note_it_once(site, monkeypatch, mark):
    """A double tap, or the lead and staff at once: the second mark, made while the first
    reads the log, waits for it and is refused; one entry, the first one's."""
    logged = subject_requests.open_request(site, "lan", "see", "person", "p-1", "thon-3",
                                           today_local())
    original, outcomes = subject_requests.append_entry, {}

    def second():
        try:
            outcomes["hoa"] = mark(site, "hoa", logged["id"])
        except Conflict as error:
            outcomes["hoa"] = error

    def appending(path, entry):
        if entry["event"] != "opened" and not hasattr(appending, "other"):
            appending.other = threading.Thread(target=second)
            appending.other.start()
            appending.other.join(0.5)           # done at once unless it waits for this one
        return original(path, entry)
    monkeypatch.setattr(subject_requests, "append_entry", appending)
    first = mark(site, "lan", logged["id"])
    appending.other.join(5)
    assert isinstance(outcomes["hoa"], Conflict), outcomes
    [row] = subject_requests.all_requests(site)
    who = "answered_by" if mark is subject_requests.mark_answered else "handled_by"
    assert row[who] == first[who] == "lan"
    with open(site.data_dir + "/subject_requests.log", encoding="utf-8") as handle:
        assert len(handle.readlines()) == 2     # opened, and one mark


@pytest.mark.parametrize("setting,days", [(15, 15), (1, 1), (0, 10), (91, 10), ("20", 10),
                                          (True, 10), (None, 10)])
def test_the_site_sets_the_days_and_a_bad_setting_falls_back(site, setting, days):
    if setting is not None:
        site.update_settings(lambda s: s.update(subject_request_days=setting))
    received = datetime.date(2026, 3, 1)
    logged = subject_requests.open_request(site, "lan", "see", "person", "p-1", "thon-3",
                                           received)
    assert logged["deadline"] == (received + days * DAY).isoformat()


def test_open_and_overdue_counts_and_closing_a_request(site):
    today = today_local()
    late = subject_requests.open_request(site, "lan", "see", "person", "p-1", "thon-3",
                                         today - 12 * DAY)
    due = subject_requests.open_request(site, "lan", "correct", "person", "p-2", "thon-3",
                                        today - 10 * DAY)
    subject_requests.open_request(site, "lan", "erase", "person", "p-3", "thon-4", today)
    assert subject_requests.days_left(late, today) == -2
    assert subject_requests.days_left(due, today) == 0
    # both should have been answered long ago: overdue until the person is answered
    assert subject_requests.open_counts(site, ["thon-3"], today) == (2, 2)
    subject_requests.mark_answered(site, "lan", due["id"], ["thon-3"])
    assert subject_requests.open_counts(site, ["thon-3"], today) == (2, 1)
    closed = subject_requests.mark_done(site, "lan", late["id"], ["thon-3"])
    assert closed["status"] == "done"
    assert subject_requests.open_counts(site, ["thon-3"], today) == (1, 0)
    with pytest.raises(Conflict):
        subject_requests.mark_done(site, "lan", late["id"])
    with pytest.raises(NotFound):       # another village's request is not found
        subject_requests.mark_done(site, "lan", due["id"], ["thon-4"])


def test_a_bad_kind_or_subject_is_refused_and_nothing_logged(site):
    for kind, subject_type, subject_id in (("forget", "person", "p"), ("see", "visit", "v"),
                                           ("see", "person", "")):
        with pytest.raises(Invalid):
            subject_requests.open_request(site, "lan", kind, subject_type, subject_id,
                                          "thon-3", datetime.date(2026, 1, 5))
    assert subject_requests.all_requests(site) == []


def test_the_log_names_records_by_id_only(site):
    home = f.household("Nguyễn Thị Ánh")
    site.store.submit([home])
    subject_requests.open_request(site, "lan", "erase", "household", home["id"], "thon-3",
                                  datetime.date(2026, 1, 5))
    with open(f"{site.data_dir}/subject_requests.log", encoding="utf-8") as handle:
        text = handle.read()
    assert home["id"] in text and "Nguyễn" not in text and "Xóm" not in text


def _cli(runner, site, *args):
    result = runner.invoke(main, ["--data", site.data_dir, "subject", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_records_lists_and_closes_requests(runner, site):
    home = f.household("Nguyễn Thị Ánh")
    site.store.submit([home])
    received = today_local() - 3 * DAY
    said = _cli(runner, site, "request", "--household", home["id"], "--kind", "erase",
                "--received", received.strftime("%d/%m/%Y"))
    deadline = received + subject_requests.DEFAULT_REQUEST_DAYS * DAY
    assert deadline.strftime("%d/%m/%Y") in said
    table = _cli(runner, site, "requests")
    assert "Xóa" in table and f"còn {(deadline - today_local()).days} ngày" in table
    [line] = _cli(runner, site, "requests", "--json").splitlines()
    logged = json.loads(line)
    assert logged["subject_id"] == home["id"] and logged["status"] == "open"
    answer_due = subject_requests.answer_due(received)
    assert answer_due.strftime("%d/%m/%Y") in said
    assert ("chưa phản hồi" in table) == (today_local() > answer_due)
    _cli(runner, site, "answered", logged["id"][:8])
    assert "chưa phản hồi" not in _cli(runner, site, "requests")
    again = runner.invoke(main, ["--data", site.data_dir, "subject", "answered", logged["id"]])
    assert again.exit_code == 1 and "đã phản hồi" in again.output
    _cli(runner, site, "done", logged["id"][:8])
    assert "đã xong" in _cli(runner, site, "requests")
    assert _cli(runner, site, "requests", "--open").strip() == "Chưa có yêu cầu nào."
    actions = [e["action"] for e in audit.entries(site, "subject")]
    assert actions == ["subject.request", "subject.answered", "subject.done"]
    again = runner.invoke(main, ["--data", site.data_dir, "subject", "done", logged["id"]])
    assert again.exit_code == 1 and "đã được xử lý xong" in again.output


def test_a_backup_carries_the_request_log_and_restores_it(runner, site, tmp_path,
                                                          monkeypatch):
    from fieldapp import backup_box
    monkeypatch.setattr(backup_box, "KDF_N", 2 ** 12)        # the archive, not the KDF
    monkeypatch.setenv("FIELDAPP_BACKUP_PASSPHRASE", "cum-mat-khau-thu")
    logged = subject_requests.open_request(site, "lan", "erase", "household", "h-1", "thon-3",
                                           datetime.date(2026, 12, 1))
    out = tmp_path / "backup.tar.gz"
    assert runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)]).exit_code == 0
    restored = tmp_path / "restored"
    result = runner.invoke(main, ["--data", str(restored), "restore", str(out)])
    assert result.exit_code == 0, result.output
    from fieldapp.site import Site
    assert subject_requests.all_requests(Site(str(restored))) == [logged]
