"""The province's targets page: every commune's own targets and the province's defaults
in one form, or the same table uploaded as CSV or .xlsx (templates to download)."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from fieldapp import audit
from fieldapp.auth.access import current_user, get_site, page
from fieldapp.forms.errors import BadRequest, Conflict
from fieldapp.indicators import annex
from fieldapp.province import targets as table
from fieldapp.views.commune.blueprint import SHORT_LABELS

bp = Blueprint("province_targets", __name__, url_prefix="/province/targets")
STAFF = ("staff", "admin")


class TargetsUpload(FlaskForm):
    """The table of targets as a file."""
    targets_file = FileField("Tệp chỉ tiêu các xã (.csv hoặc .xlsx)")


class TargetsForm(FlaskForm):
    """The CSRF token of the one form; its ~800 inputs are read by name (see _cells)."""


def _defaults(settings):
    """{indicator key: the province's default target as a ratio, or None}."""
    stored = settings.get("targets") or {}
    return {k: stored.get(k) for k in table.KEYS}


def _cells(settings):
    """[(row label, commune code or None, [cell])] of the form: first the province's
    defaults (d_<key>, code None), then each commune's own (c<code>_<key>; blank: the
    default, which the placeholder shows). A cell: {name, label, value, placeholder,
    errors}."""
    defaults = _defaults(settings)
    rows = [("Mặc định của tỉnh", None, [
        {"name": f"d_{k}", "label": f"Mặc định của tỉnh, {SHORT_LABELS[k]} (%)",
         "value": annex.format_percent_input(defaults[k]), "placeholder": "không",
         "errors": []} for k in table.KEYS])]
    for commune in settings.get("communes", []):
        mine = commune.get("targets") or {}
        rows.append((commune["name"], commune["code"], [
            {"name": f"c{commune['code']}_{k}",
             "label": f"{commune['name']}, {SHORT_LABELS[k]} (%)",
             "value": annex.own_target_input(mine, k),
             "placeholder": "tỉnh: " + annex.format_percent_input(defaults[k])
             if defaults[k] is not None else "không", "errors": []} for k in table.KEYS]))
    return rows


def _read(rows, formdata):
    """({key: default}, {code: {key: own}}) from the posted cells; each cell gets the
    value typed and its error."""
    defaults, own = {}, {}
    for _, code, cells in rows:
        values = {}
        for key, cell in zip(table.KEYS, cells):
            if cell["name"] not in formdata:
                # a page always sends every input: a form cut short must not blank targets
                raise BadRequest("Biểu mẫu gửi lên thiếu ô chỉ tiêu: hãy mở lại trang và lưu.")
            cell["value"] = formdata[cell["name"]][:20]
            try:
                values[key] = annex.parse_own_target(cell["value"])
            except annex.AnnexError as error:
                cell["errors"] = [error.message]
        if code is None:        # the defaults: blank or "không" alike, no target
            defaults = {k: None if values.get(k) is annex.DEFAULT else values.get(k)
                        for k in table.KEYS}
        else:
            own[code] = {k: v for k, v in values.items() if v is not annex.DEFAULT}
    return defaults, own


def _page(rows=None, upload=None, upload_errors=(), status=200):
    """The targets page with `rows` (else the stored cells), the upload form and errors."""
    settings = get_site().settings
    rows = rows if rows is not None else _cells(settings)
    errors = [{"id": c["name"], "label": c["label"], "text": e}
              for _, _, cells in rows for c in cells for e in c["errors"]]
    return render_template(
        "province/targets.html", settings=settings, keys=table.KEYS, short=SHORT_LABELS,
        form=TargetsForm(formdata=None), rows=rows, errors=errors,
        stamp=table.table_stamp(settings),
        upload=upload or TargetsUpload(formdata=None),
        upload_errors=list(upload_errors)), status


@bp.route("/", methods=["GET", "POST"])
@page(*STAFF, site_kind="province")
def targets():
    """Every commune's targets per indicator and the province's defaults, saved whole."""
    site = get_site()
    settings = site.settings
    if request.method == "GET":
        return _page()
    form = TargetsForm()
    rows = _cells(settings)
    if not form.validate_on_submit():
        return _page(status=400)
    defaults, own = _read(rows, request.form)
    if any(c["errors"] for _, _, cells in rows for c in cells):
        return _page(rows=rows, status=422)
    changed = [c["code"] for c in settings.get("communes", [])
               if {k: v for k, v in (c.get("targets") or {}).items() if k in table.KEYS}
               != own[c["code"]]]

    shown_stamp = request.form.get("stamp", "")[:40]

    def change(stored):
        if table.table_stamp(stored) != shown_stamp:       # under the lock: a save meanwhile
            raise Conflict("Trong lúc bạn sửa, một người khác đã lưu chỉ tiêu. Chưa lưu gì: "
                           "bảng dưới đây là bản mới nhất, hãy nhập lại thay đổi rồi lưu.")
        stored["targets"] = dict(stored.get("targets") or {}, **defaults)
        stored["communes"] = table.apply_targets(
            stored.get("communes", []),
            [{"code": code, "targets": values} for code, values in own.items()])
    try:
        site.update_settings(change)
    except Conflict as error:
        flash(error.message, "error")
        return _page(status=409)
    audit.record(site, current_user()["username"], "commune_targets.save",
                 ids=changed, count=len(changed))
    flash(f"Đã lưu chỉ tiêu của tỉnh và của {len(changed)} xã có thay đổi.", "ok")
    return redirect(url_for("province_targets.targets"))


@bp.post("/import")
@page(*STAFF, site_kind="province")
def upload():
    """Load the table from a CSV or .xlsx; every row or nothing."""
    site = get_site()
    form = TargetsUpload()
    if not form.validate_on_submit():
        return _page(upload=form, status=400)
    content = form.targets_file.data.read(table.MAX_BYTES + 1) if form.targets_file.data else b""
    errors, rows = [], []
    if not content:
        errors = ["Hãy chọn một tệp CSV hoặc Excel (.xlsx)."]
    else:
        try:
            rows, keys, errors = table.read_targets_file(site.settings, content)
        except annex.AnnexError as error:
            errors = [error.message]
    if errors:
        audit.record(site, current_user()["username"], "commune_targets.import.refused",
                     count=len(errors))
        return _page(upload_errors=errors, status=422)
    site.update_settings(lambda stored: stored.__setitem__(
        "communes", table.apply_targets(stored.get("communes", []), rows, keys)))
    audit.record(site, current_user()["username"], "commune_targets.import",
                 ids=[r["code"] for r in rows], count=len(rows))
    flash(f"Đã nhập chỉ tiêu của {len(rows)} xã từ tệp.", "ok")
    return redirect(url_for("province_targets.targets"))


@bp.get("/chi-tieu-xa.csv")
@page(*STAFF, site_kind="province")
def template_csv():
    """The table with every commune and its own targets, as CSV for a spreadsheet."""
    return Response(table.targets_csv(get_site().settings), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=chi-tieu-xa.csv"})


@bp.get("/chi-tieu-xa.xlsx")
@page(*STAFF, site_kind="province")
def template_xlsx():
    """The same table as an Excel sheet, the targets as percents."""
    from fieldapp.reports.formats import MIME
    from fieldapp.reports.workbook import template_xlsx as sheet
    settings = get_site().settings
    header, rows = table.targets_table(settings)
    body = sheet("Chỉ tiêu các xã", header, rows,
                 f"Chỉ tiêu các xã của {settings.get('province_name', '')}", percent=header[2:])
    return Response(body, mimetype=MIME["xlsx"], headers={
        "Content-Disposition": "attachment; filename=chi-tieu-xa.xlsx"})
