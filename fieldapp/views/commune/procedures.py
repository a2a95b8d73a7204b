"""Commune staff enter the one-stop shop's procedure figures per period (form or CSV),
set the targets and the baseline year, and see the rates week by week."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from fieldapp import audit
from fieldapp.auth.access import current_user, get_site, page
from fieldapp.forms.errors import NotFound
from fieldapp.indicators.annex import AnnexError, format_percent_input, parse_percent
from fieldapp.indicators.definitions import change
from fieldapp.indicators.periods import numbered, period_word, periods_from_settings, today_local
from fieldapp.indicators.procedures import (AREAS, COLUMNS, RATES, FiguresError, check_figures,
                                            figures, procedure_indicators, read_figures_csv,
                                            save_figures, settings_targets, template_csv)
from fieldapp.views.commune.blueprint import STAFF

bp = Blueprint("procedures", __name__, url_prefix="/commune/procedures")
RATE_KEYS = [r.key for r in RATES] + [f"{r.key}_lci" for r in RATES]


class UploadForm(FlaskForm):
    """A CSV of figures."""
    file = FileField("Tệp CSV số liệu hồ sơ", render_kw={"accept": ".csv,text/csv,.xlsx"})


class FiguresForm(FlaskForm):
    """CSRF only: the cells are named area-column and checked by the shared rules."""


def _period_or_404(periods, number, word):
    chosen = next((p for p in periods if p.number == number), None)
    if chosen is None:
        raise NotFound(f"Không có {word} này trong chiến dịch.")
    return chosen


@bp.route("/", methods=["GET", "POST"])
@page(*STAFF, site_kind="commune")
def figures_page():
    """The figures of one period: a card per procedure area, seven counts each."""
    site = get_site()
    settings = site.settings
    periods, word = periods_from_settings(settings["campaign"]), period_word(settings["campaign"])
    if not periods:
        raise NotFound("Chiến dịch chưa có ngày bắt đầu và kết thúc: hãy đặt ngày trước.")
    today = today_local()
    default = next((p.number for p in periods if p.start <= today <= p.end), periods[-1].number)
    chosen = _period_or_404(periods, request.args.get("period", default, type=int), word)
    stored = figures(site)
    form, errors = FiguresForm(), []
    cells = {area: {c: stored.get(chosen.number, {}).get(area, {}).get(c, "") for c in COLUMNS}
             for area in AREAS}
    if form.validate_on_submit():
        cells = {area: {c: request.form.get(f"{area}-{c}", "") for c in COLUMNS}
                 for area in AREAS}
        try:
            clean = check_figures(cells)
        except FiguresError as error:
            errors = [{"id": cell, "text": text} for text, cell in zip(error.errors, error.cells)]
        else:
            save_figures(site, {chosen.number: clean}, current_user()["username"])
            audit.record(site, current_user()["username"], "procedures.save",
                         periods=[chosen.number])
            flash(f"Đã lưu số liệu hồ sơ {numbered(word, chosen.number)}.", "ok")
            return redirect(url_for("procedures.figures_page", period=chosen.number))
    current, by_period = procedure_indicators(settings, stored, today)
    return render_template("procedures/figures.html", periods=periods, chosen=chosen,
                           cells=cells, areas=AREAS, columns=COLUMNS, errors=errors, form=form,
                           upload=UploadForm(), current=current,
                           chips=period_chips(by_period), settings=settings), \
        422 if errors else 200


def period_chips(by_period):
    """Each period's own rate and its change from the previous period, shaped like the
    `by_period` of the indicators answer so the indicator cards can show them."""
    out, previous = [], None
    for number, entries in by_period.items():
        cells = [{"value": e["period_value"],
                  "change": change(e["period_value"], previous and previous[i]["value"])}
                 for i, e in enumerate(entries)]
        out.append({"period": number, "indicators": cells})
        previous = cells
    return out


@bp.post("/import")
@page(*STAFF, site_kind="commune")
def import_csv():
    """Figures for any periods from a CSV; one bad cell and nothing is stored."""
    site = get_site()
    upload = UploadForm()
    periods, word = (periods_from_settings(site.settings["campaign"]),
                     period_word(site.settings["campaign"]))
    errors = []
    if not upload.validate_on_submit() or not upload.file.data:
        errors = [{"id": "file", "text": "Hãy chọn một tệp CSV."}]
    else:
        try:
            parsed = read_figures_csv(upload.file.data.read(), {p.number for p in periods}, word)
        except FiguresError as error:     # lines of the file, not cells of the form
            errors = [{"id": None, "text": text} for text in error.errors]
        else:
            save_figures(site, parsed, current_user()["username"])
            audit.record(site, current_user()["username"], "procedures.import",
                         periods=sorted(parsed))
            flash(f"Đã nhập số liệu của {len(parsed)} {word} từ tệp CSV.", "ok")
            return redirect(url_for("procedures.figures_page"))
    stored = figures(site)
    chosen = periods[-1]
    current, by_period = procedure_indicators(site.settings, stored, today_local())
    chips = period_chips(by_period)
    cells = {area: {c: stored.get(chosen.number, {}).get(area, {}).get(c, "") for c in COLUMNS}
             for area in AREAS}
    return render_template("procedures/figures.html", periods=periods, chosen=chosen,
                           cells=cells, areas=AREAS, columns=COLUMNS, errors=errors,
                           form=FiguresForm(), upload=upload, current=current,
                           chips=chips, settings=site.settings, csv_failed=True), 422


@bp.get("/template.csv")
@page(*STAFF, site_kind="commune")
def template():
    """A CSV to fill in Excel: one row per period and area."""
    campaign = get_site().settings["campaign"]
    return Response(template_csv(periods_from_settings(campaign), period_word(campaign)),
                    mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ho-so-tthc-mau.csv"})


@bp.get("/template.xlsx")
@page(*STAFF, site_kind="commune")
def template_xlsx():
    """The same template as an Excel sheet to fill in and upload."""
    from fieldapp.indicators.procedures import template_table
    from fieldapp.reports.formats import MIME
    from fieldapp.reports.workbook import template_xlsx as build
    campaign = get_site().settings["campaign"]
    word = period_word(campaign)
    header, rows = template_table(periods_from_settings(campaign), word)
    body = build("Hồ sơ TTHC", header, rows, f"Số hồ sơ thủ tục hành chính theo {word}")
    return Response(body, mimetype=MIME["xlsx"], headers={
        "Content-Disposition": "attachment; filename=ho-so-tthc-mau.xlsx"})


@bp.route("/targets", methods=["GET", "POST"])
@page(*STAFF, site_kind="commune")
def targets():
    """Targets of the procedure rates and the baseline year's values."""
    site = get_site()
    settings = site.settings
    form = FiguresForm()
    current_targets = settings_targets(settings)
    baseline = settings.get("procedure_baseline") or {}
    values = {k: request.form.get(f"target-{k}", format_percent_input(current_targets.get(k)))
              for k in RATE_KEYS}
    base_values = {k: request.form.get(f"baseline-{k}", format_percent_input(
        (baseline.get("values") or {}).get(k))) for k in RATE_KEYS}
    year = request.form.get("baseline_year", str(baseline.get("year") or ""))
    errors = {}
    if form.validate_on_submit():
        parsed_targets, parsed_base = {}, {}
        for key in RATE_KEYS:
            for prefix, raw, out in (("target", values[key], parsed_targets),
                                     ("baseline", base_values[key], parsed_base)):
                try:
                    out[key] = parse_percent(raw)
                except AnnexError as error:
                    errors[f"{prefix}-{key}"] = error.message
        year_text = (year or "").strip()
        if year_text and not (year_text.isascii() and year_text.isdigit()
                              and 2000 <= int(year_text) <= 2100):
            errors["baseline_year"] = "Năm gốc phải là năm có 4 chữ số, ví dụ 2024."
        if not errors:
            site.update_settings(lambda s: s.update(
                procedure_targets=parsed_targets,
                procedure_baseline={"year": int(year_text) if year_text else None,
                                    "values": {k: v for k, v in parsed_base.items()
                                               if v is not None}}))
            audit.record(site, current_user()["username"], "procedures.targets")
            flash("Đã lưu chỉ tiêu và số liệu năm gốc.", "ok")
            return redirect(url_for("procedures.targets"))
    labels = {r.key: r.label for r in RATES}
    labels.update({f"{r.key}_lci": r.label + " (đất đai, xây dựng, đầu tư)" for r in RATES})
    where = {"target": "chỉ tiêu (%)", "baseline": "năm gốc (%)"}
    summary = [{"id": cell, "text": message,
                "label": "Năm gốc" if cell == "baseline_year" else
                f"{labels[cell.split('-', 1)[1]]}, {where[cell.split('-', 1)[0]]}"}
               for cell, message in errors.items()]
    return render_template("procedures/targets.html", form=form, keys=RATE_KEYS, labels=labels,
                           values=values, base_values=base_values, year=year,
                           errors=errors, summary=summary), 422 if errors else 200
