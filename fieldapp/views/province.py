"""The province's pages: every commune's figures for a period and indicator, ranked with
the lowest first, which communes reported for which period, and a commune's villages."""
from flask import Blueprint, abort, g, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from fieldapp import audit

from fieldapp.auth.access import get_site, page
from fieldapp.forms.errors import BadRequest, NotFound
from fieldapp.indicators.periods import period_word, periods_from_settings
from fieldapp.province.figures import INDICATORS, province_view, reported, village_rows
from fieldapp.forms.errors import FieldappError
from fieldapp.province.store import import_rollup, receipts, stored_rollups
from sync.rollup import MAX_ROLLUP_BYTES
from fieldapp.views.days import counted_day

bp = Blueprint("province", __name__, url_prefix="/province")
STAFF = ("staff", "admin")
KEYS = dict(INDICATORS)


def _choices(settings):
    """(periods, chosen period, indicator key) from ?period= and ?indicator=; the period
    defaults to the one holding today (kept inside the campaign)."""
    periods = periods_from_settings(settings.get("campaign") or {})
    if not periods:
        raise NotFound("Chiến dịch của tỉnh chưa có tuần/tháng nào.")
    day, _ = counted_day(settings)
    default = next((p.number for p in periods if p.start <= day <= p.end), periods[-1].number)
    raw = request.args.get("period", "")[:4]
    if raw and not raw.isdigit():
        raise BadRequest("Kỳ báo cáo phải là một số.")
    number = int(raw) if raw else default
    if number not in {p.number for p in periods}:
        raise BadRequest("Không có kỳ báo cáo này trong chiến dịch.")
    key = request.args.get("indicator", INDICATORS[0][0])[:64]
    if key not in KEYS:
        raise BadRequest("Không có chỉ số này.")
    return periods, number, key


def _word(settings):
    return period_word(settings.get("campaign") or {}).capitalize()


@bp.get("/")
@page(*STAFF, site_kind="province")
def dashboard():
    """One indicator for one period: the province, then every commune lowest first."""
    site = get_site()
    settings = site.settings
    periods, number, key = _choices(settings)
    rollups = stored_rollups(site)
    whole, rows, missing = province_view(settings, rollups, number, key)
    _, timeliness = reported(settings, rollups, receipts(site))
    return render_template("province/dashboard.html", settings=settings, periods=periods,
                           number=number, key=key, indicators=INDICATORS, whole=whole,
                           rows=rows, missing=missing, timeliness=timeliness,
                           word=_word(settings), received=len(rollups))


@bp.get("/commune/<code>")
@page(*STAFF, site_kind="province")
def commune(code):
    """A commune's villages for the chosen period and indicator."""
    site = get_site()
    settings = site.settings
    names = {c["code"]: c["name"] for c in settings.get("communes", [])}
    if code not in names:
        abort(404)
    periods, number, key = _choices(settings)
    rollup = stored_rollups(site).get(code)
    rows = village_rows(rollup, number, key) if rollup else []
    return render_template("province/commune.html", settings=settings, name=names[code],
                           code=code, rollup=rollup, rows=rows, periods=periods, number=number,
                           key=key, indicators=INDICATORS, word=_word(settings))


MAX_FILES = 200                 # a province's communes, each sending one file


class RollupUpload(FlaskForm):
    files = FileField("Tệp số liệu tổng hợp của xã (.json, .json.gz hoặc .enc đã mã hóa)",
                      render_kw={"multiple": True, "accept": ".json,.gz,.enc,application/json,"
                                                        "application/gzip"})


@bp.route("/import", methods=["GET", "POST"])
@page(*STAFF, site_kind="province")
def imports():
    """Upload communes' roll-up files; each file's receipt, or why it was refused."""
    site = get_site()
    form = RollupUpload()
    results, status = [], 200
    if form.validate_on_submit():
        uploads = [f for f in request.files.getlist("files") if f and f.filename][:MAX_FILES]
        if not uploads:
            form.files.errors = ["Hãy chọn ít nhất một tệp số liệu tổng hợp."]
            status = 422
        for upload in uploads:
            name = upload.filename[:120]
            try:
                receipt = import_rollup(site, upload.read(MAX_ROLLUP_BYTES + 1))
            except FieldappError as error:
                status = 422
                audit.record(site, g.user["username"], "rollup.import.refused",
                             problem=(error.details or {}).get("problem"))
                results.append({"name": name, "ok": False, "message": error.message})
            else:
                audit.record(site, g.user["username"], f"rollup.import.{receipt.outcome}",
                             rollup_id=receipt.rollup_id, commune=receipt.commune_code)
                results.append({"name": name, "ok": True, "message": receipt.summary()})
    elif form.errors:
        status = 422
    return render_template("province/import.html", form=form, results=results), status
