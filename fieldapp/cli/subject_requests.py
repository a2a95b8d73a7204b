"""`fieldapp subject find|export|requests|request|done`: a citizen's requests about their data.

`subject erase` lives in fieldapp/cli/subject.py with the `subject` group; these commands
are added to that group by name in fieldapp/cli/__init__.py (COMMANDS).
"""
import os

import click

from fieldapp.cli.common import DAY, click_error, shown_plainly
from fieldapp.forms.errors import FieldappError

__all__ = ["COMMANDS", "find", "export", "requests", "request", "done"]


def _subject_of(household, person):
    if bool(household) == bool(person):
        raise click.UsageError("Chọn đúng một trong --household hoặc --person.")
    return ("household", household) if household else ("person", person)


@click.command()
@click.argument("query")
@click.pass_obj
def find(obj, query):
    """Find households and people by name, address or phone (no case or diacritics)."""
    from fieldapp.subjects import find_subjects
    site = obj.site()
    found = find_subjects(site.store, site.village_ids, query)
    if not found:
        click.echo("Không tìm thấy hộ hoặc người nào.")
        return
    for item in found:
        home = item["household"]
        address = home["data"].get("address")
        click.echo(f"Hộ {home['data']['head_name']}{', ' + address if address else ''}"
                   f" [{home['village_id']}]  --household {home['id']}")
        for person in item["people"]:
            click.echo(f"    {person['data']['full_name']} ({person['data']['birth_year']})"
                       f"  --person {person['id']}")


@click.command()
@click.option("--household", help="The household's id (from `fieldapp subject find`).")
@click.option("--person", help="The person's id (from `fieldapp subject find`).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The file to write: FILE.json or FILE.pdf.")
@click.option("--received", type=DAY, help="The day the request was received (default today).")
@click.pass_obj
def export(obj, household, person, out, received):
    """Write everything held about a household or a person, history and who recorded it
    included; log the request to see them as answered, and audit it."""
    from fieldapp import audit, subject_requests
    from fieldapp.indicators.periods import today_local
    from fieldapp.subjects import export_json, gather, subject_record
    subject_type, subject_id = _subject_of(household, person)
    kind = os.path.splitext(out)[1].lower()
    if kind not in (".json", ".pdf"):
        raise click.BadParameter("tệp phải có đuôi .json hoặc .pdf.", param_hint="--out")
    site = obj.site()
    try:
        current = subject_record(site.store, subject_type, subject_id)
        pending = [r for r in subject_requests.all_requests(site, subject_ids={subject_id})
                   if r["status"] == "open" and r["kind"] == "see"]
        if pending:
            logged = subject_requests.mark_done(site, "cli", pending[0]["id"])
        else:
            logged = subject_requests.open_request(
                site, "cli", "see", subject_type, subject_id, current["village_id"],
                received or today_local(), done=True)
        gathered = gather(site, subject_type, subject_id)
    except FieldappError as error:
        raise click_error(error)
    if kind == ".pdf":
        from fieldapp.reports.subject import subject_pdf
        body = subject_pdf(gathered)
    else:
        body = export_json(gathered)
    with open(out, "wb") as handle:
        handle.write(body)
    audit.record(site, "cli", "subject.export", ids=[subject_id], request_id=logged["id"],
                 count=len(gathered["records"]))
    versions = sum(len(r["versions"]) for r in gathered["records"])
    click.echo(f"Đã ghi {out}: {len(gathered['records'])} bản ghi, {versions} phiên bản.")


@click.command()
@click.option("--open", "only_open", is_flag=True, help="Only the requests not yet done.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per request per line.")
@click.pass_obj
def requests(obj, only_open, as_json):
    """List the log of requests: kind, received, deadline, days left, who handled it."""
    from fieldapp import subject_requests
    from fieldapp.indicators.periods import today_local
    from fieldapp.forms.text import vn_date
    found = subject_requests.all_requests(obj.site())
    if only_open:
        found = [r for r in found if r["status"] == "open"]
    if shown_plainly(found, as_json, "Chưa có yêu cầu nào."):
        return
    today = today_local()
    click.echo(f"{'Mã':<10}{'Loại':<20}{'Nhận':<12}{'Hạn':<12}{'Trạng thái':<22}Người ghi / xử lý")
    for r in found:
        if r["status"] == "done":
            state = "đã xong"
        else:
            left = subject_requests.days_left(r, today)
            state = f"quá hạn {-left} ngày" if left < 0 else f"còn {left} ngày"
            if subject_requests.answer_late(r, today):
                state += ", chưa phản hồi"
        label = subject_requests.KIND_LABELS[r["kind"]]
        click.echo(f"{r['id'][:8]:<10}{label:<20}{vn_date(r['received']):<12}"
                   f"{vn_date(r['deadline']):<12}{state:<22}"
                   f"{r['recorded_by']}{' / ' + r['handled_by'] if r['handled_by'] else ''}")


@click.command()
@click.option("--household", help="The household's id (from `fieldapp subject find`).")
@click.option("--person", help="The person's id (from `fieldapp subject find`).")
@click.option("--kind", required=True, type=click.Choice(["see", "correct", "erase"]),
              help="What the person asks: see their data, correct it, or erase it.")
@click.option("--received", type=DAY, help="The day the request was received (default today).")
@click.pass_obj
def request(obj, household, person, kind, received):
    """Log a request received (its legal deadline is computed from the day received)."""
    from fieldapp import audit, subject_requests
    from fieldapp.forms.text import vn_date
    from fieldapp.indicators.periods import today_local
    from fieldapp.subjects import subject_record
    subject_type, subject_id = _subject_of(household, person)
    site = obj.site()
    try:
        current = subject_record(site.store, subject_type, subject_id)
        logged = subject_requests.open_request(site, "cli", kind, subject_type, subject_id,
                                               current["village_id"], received or today_local())
    except FieldappError as error:
        raise click_error(error)
    audit.record(site, "cli", "subject.request", ids=[subject_id], request_id=logged["id"],
                 kind=kind)
    click.echo(f"Đã ghi yêu cầu {logged['id'][:8]}; phản hồi người dân chậm nhất "
               f"{vn_date(logged['answer_due'])}, xử lý xong chậm nhất {vn_date(logged['deadline'])}.")


def _mark(obj, given, mark, action):
    """Apply `mark` (subject_requests.mark_answered or mark_done) to the one logged
    request whose id is `given` or starts with it (8 characters or more), and audit it."""
    from fieldapp import audit, subject_requests
    site = obj.site()
    matches = [r["id"] for r in subject_requests.all_requests(site)
               if r["id"] == given or (len(given) >= 8 and r["id"].startswith(given))]
    if len(matches) != 1:
        raise click.ClickException("Không tìm thấy yêu cầu này (hoặc mã chưa đủ để phân biệt).")
    try:
        marked = mark(site, "cli", matches[0])
    except FieldappError as error:
        raise click_error(error)
    audit.record(site, "cli", action, ids=[marked["subject_id"]], request_id=marked["id"])
    return marked["id"][:8]


@click.command()
@click.argument("request_id")
@click.pass_obj
def answered(obj, request_id):
    """Note that the person of a request has been answered (what will be done, and how),
    which Decree 356/2025/NĐ-CP asks within 2 working days (REQUEST_ID: its id, or the
    first 8 characters of it)."""
    from fieldapp import subject_requests
    short = _mark(obj, request_id, subject_requests.mark_answered, "subject.answered")
    click.echo(f"Đã ghi: người dân của yêu cầu {short} đã được phản hồi.")


@click.command()
@click.argument("request_id")
@click.pass_obj
def done(obj, request_id):
    """Mark a request done (REQUEST_ID: its id, or the first 8 characters of it)."""
    from fieldapp import subject_requests
    short = _mark(obj, request_id, subject_requests.mark_done, "subject.done")
    click.echo(f"Đã đánh dấu xong yêu cầu {short}.")


COMMANDS = (find, export, requests, request, answered, done)
