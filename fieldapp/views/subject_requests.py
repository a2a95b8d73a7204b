"""A citizen's requests about their data, for the village lead (their own village) and
commune staff: find a household or person, record a request, see the open ones with their
deadline, note that the person was answered, download everything held (JSON or PDF),
mark a request done, and erase a household's or a person's identifying data after a
confirmation page that names them (as `fieldapp subject erase` does; an erasure request
is then marked done).
"""
import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from fieldapp import audit, erasing, subject_requests
from fieldapp.auth.access import current_user, get_site, page, visible_villages
from fieldapp.forms.errors import BadRequest, Conflict, FieldappError, Forbidden, Invalid
from fieldapp.forms.text import vn_date, vn_number
from fieldapp.indicators.periods import parse_day, today_local
from fieldapp.records import people_names
from fieldapp.subjects import export_json, find_subjects, gather, subject_record
from fieldapp.views.differences import record_title
from fieldapp.views.forms import ActionForm, require_form_token

bp = Blueprint("subjects", __name__, url_prefix="/subject-requests")
# who answers requests on each kind of site: the lead on the village laptop, staff at the commune
ROLE_OF_SITE = {"village": "lead", "commune": "staff"}
MAX_FOUND = 30
SUBJECT_RE = re.compile(r"^(household|person):([0-9A-Za-z-]{1,64})\Z")


def _user():
    """The signed-in user, refused unless they answer requests on this kind of site."""
    user = current_user()
    if user["role"] != ROLE_OF_SITE.get(get_site().kind):
        raise Forbidden("Bạn không có quyền mở trang này.")
    return user


def _subject(raw, villages):
    """(type, id, current version) of a `household:ID` or `person:ID` the user may see."""
    match = SUBJECT_RE.match(raw or "")
    if not match:
        raise BadRequest("Hãy chọn một hộ hoặc một người trong kết quả tìm kiếm.")
    subject_type, subject_id = match.groups()
    return subject_type, subject_id, subject_record(get_site().store, subject_type, subject_id,
                                                    villages)


def _name(version):
    """The name a version shows (a household's head, a person's full name), or that the
    record is gone."""
    return "(không còn bản ghi)" if version is None else record_title(version)


@bp.get("/")
@page("lead", "staff")
def index():
    """Open requests with their deadline, a search, the form to record a request."""
    user = _user()
    site = get_site()
    villages = visible_villages(user)
    query = request.args.get("q", "").strip()[:100]
    found = find_subjects(site.store, villages, query) if query else []
    more = len(found) > MAX_FOUND
    chosen = None
    if request.args.get("subject"):
        try:
            subject_type, subject_id, version = _subject(request.args["subject"], villages)
            chosen = {"key": f"{subject_type}:{subject_id}", "type": subject_type,
                      "name": _name(version), "village_id": version["village_id"]}
        except FieldappError as error:
            flash(error.message, "error")
    today = today_local()
    rows = []
    for r in reversed(subject_requests.all_requests(site, villages)):
        version = site.store.current(r["subject_id"])
        home_id = version and (version["id"] if version["type"] == "household"
                               else version["data"].get("household_id"))
        rows.append(dict(r, name=_name(version), home_id=home_id,
                         days_left=subject_requests.days_left(r, today),
                         answer_late=subject_requests.answer_late(r, today)))
    pending = sorted((r for r in rows if r["status"] == "open"), key=lambda r: r["deadline"])
    finished = [r for r in rows if r["status"] == "done"][:20]
    return render_template(
        "subjects/index.html", q=query, found=found[:MAX_FOUND], more=more, chosen=chosen, pending=pending,
        finished=finished, today=today, form=ActionForm(), kinds=subject_requests.KIND_LABELS,
        days=subject_requests.request_days(site.settings),
        answer_days=subject_requests.ANSWER_WORKING_DAYS, names=people_names(site.store, villages),
        village_names={v["id"]: v["name"] for v in site.settings.get("villages", [])},
        at_village=site.kind == "village")


@bp.post("/new")
@page("lead", "staff")
def new():
    """Record a request received: its subject, kind and day (today unless given)."""
    user = _user()
    require_form_token()
    site = get_site()
    subject_key = request.form.get("subject", "")
    try:
        subject_type, subject_id, version = _subject(subject_key, visible_villages(user))
        raw_day = request.form.get("received", "").strip()
        received = parse_day(raw_day, "Ngày nhận yêu cầu") if raw_day else today_local()
        if received > today_local():
            raise Invalid("Ngày nhận yêu cầu không thể ở sau hôm nay.")
        logged = subject_requests.open_request(site, user["username"],
                                               request.form.get("kind", ""), subject_type,
                                               subject_id, version["village_id"], received)
    except FieldappError as error:
        flash(error.message, "error")
        return redirect(url_for("subjects.index", subject=subject_key
                                if SUBJECT_RE.match(subject_key) else None))
    audit.record(site, user["username"], "subject.request", ids=[subject_id],
                 request_id=logged["id"], kind=logged["kind"])
    flash(f"Đã ghi yêu cầu: phản hồi người dân chậm nhất {vn_date(logged['answer_due'])}, "
          f"hạn xử lý {vn_date(logged['deadline'])}.", "ok")
    return redirect(url_for("subjects.index"))


def _mark(mark, action, said):
    """Apply `mark` (subject_requests.mark_answered or mark_done) to the posted open
    request of the user's villages, audit it and say `said`."""
    user = _user()
    require_form_token()
    site = get_site()
    try:
        marked = mark(site, user["username"], request.form.get("request_id", "")[:64],
                      visible_villages(user))
    except FieldappError as error:
        flash(error.message, "error")
        return redirect(url_for("subjects.index"))
    audit.record(site, user["username"], action, ids=[marked["subject_id"]],
                 request_id=marked["id"])
    flash(said, "ok")
    return redirect(url_for("subjects.index"))


@bp.post("/answered")
@page("lead", "staff")
def answered():
    """Note that the person of an open request of the user's villages has been answered."""
    return _mark(subject_requests.mark_answered, "subject.answered",
                 "Đã ghi: người dân đã được phản hồi.")


@bp.post("/done")
@page("lead", "staff")
def done():
    """Mark an open request of the user's villages done."""
    return _mark(subject_requests.mark_done, "subject.done", "Đã đánh dấu yêu cầu là xong.")


@bp.get("/export.json")
@page("lead", "staff")
def export_file_json():
    """Everything held about the subject, as JSON."""
    return _export("json")


@bp.get("/export.pdf")
@page("lead", "staff")
def export_file_pdf():
    """Everything held about the subject, as a readable PDF."""
    return _export("pdf")


def _export(kind):
    """The posted subject's records as a download of `kind` ("json" or "pdf"), audited."""
    user = _user()
    site = get_site()
    subject_type, subject_id, _ = _subject(request.args.get("subject"), visible_villages(user))
    gathered = gather(site, subject_type, subject_id, visible_villages(user))
    if kind == "pdf":
        from fieldapp.reports.subject import subject_pdf
        body, mimetype = subject_pdf(gathered), "application/pdf"
    else:
        body, mimetype = export_json(gathered), "application/json"
    audit.record(site, user["username"], f"subject.export.{kind}", ids=[subject_id],
                 count=len(gathered["records"]))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="du-lieu-{subject_type}-{subject_id[:8]}.{kind}"')
    return response


def _erasure(form):
    """(subject key, type, id, current version, ids covered, the open erasure request
    or None) of an erasure asked for by `form` (subject, optional request_id)."""
    user = _user()
    site = get_site()
    villages = visible_villages(user)
    key = form.get("subject", "")
    subject_type, subject_id, version = _subject(key, villages)    # of the user's villages
    site.store.refresh()
    _, ids = erasing.subject_records(site.store, subject_type, subject_id)
    asked = None
    request_id = form.get("request_id", "")[:64]
    if request_id:
        asked = next((r for r in subject_requests.all_requests(site, villages, {subject_id})
                      if r["id"] == request_id), None)
        if asked is None:
            raise BadRequest("Không tìm thấy yêu cầu này.")
    return key, subject_type, subject_id, version, ids, asked


@bp.get("/erase")
@page("lead", "staff")
def erase_confirm():
    """The confirmation of an erasure: whom it names, how many records, what stays."""
    _user()                     # a refused role gets its page, not a flash on another
    try:
        key, subject_type, _, version, ids, asked = _erasure(request.args)
    except FieldappError as error:
        flash(error.message, "error")
        return redirect(url_for("subjects.index"))
    site = get_site()
    return render_template(
        "subjects/erase.html", key=key, subject_type=subject_type, name=_name(version),
        names=erasing.names_of(site.store, ids), count=len(ids),
        described=erasing.describe_records(site.store, ids), asked=asked,
        at_village=site.kind == "village", form=ActionForm())


@bp.post("/erase")
@page("lead", "staff")
def erase():
    """Erase the confirmed household or person (every stored version, history included),
    audit it (ids only), and mark its erasure request done."""
    user = _user()
    require_form_token()
    site = get_site()
    try:
        key, _, subject_id, version, ids, asked = _erasure(request.form)
    except FieldappError as error:
        flash(error.message, "error")
        return redirect(url_for("subjects.index"))
    done = erasing.erase(site, ids, version["village_id"], user["username"])
    closed = ""
    if asked is not None and asked["kind"] == "erase" and asked["status"] == "open":
        try:
            subject_requests.mark_done(site, user["username"], asked["id"])
        except Conflict:            # closed meanwhile (a second tap): the erasure stands
            pass
        else:
            audit.record(site, user["username"], "subject.done", ids=[subject_id],
                         request_id=asked["id"])
            closed = " Yêu cầu xóa đã được đánh dấu xong."
    where = ("Lần gửi dữ liệu tới sẽ mang việc xóa này lên xã." if site.kind == "village" else
             "Máy của thôn vẫn còn dữ liệu này: tổ trưởng thôn cần xóa cả ở đó.")
    flash(f"Đã xóa thông tin định danh của {vn_number(done.records)} bản ghi "
          f"({vn_number(done.versions)} phiên bản). {where}{closed}", "ok")
    return redirect(url_for("subjects.index"))
