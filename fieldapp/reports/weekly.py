"""The progress report to the commune chairman for one campaign period, as HTML and PDF.

`report_data` gathers the figures once (indicators at the period's end and at the end of
the period before, volunteer statistics); the report is a list of sections, each a
template under `templates/report/` fed by a small builder (`SECTIONS`, in order).
"""
import datetime
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import jinja2
from markupsafe import Markup

from fieldapp.forms import text
from fieldapp.forms.errors import Invalid, NotFound
from fieldapp.indicators.compute import compute
from fieldapp.indicators.volunteers import volunteer_stats
from fieldapp.indicators.definitions import DEFINITIONS, change, source_label
from fieldapp.indicators.periods import (numbered, period_name, period_word, periods_from_settings,
                                         today_local)
from fieldapp.reports.charts import bars_chart, periods_chart, villages_chart
from fieldapp.reports.decree30 import MOTTO, NATION, heading
from fieldapp.reports.pdf import render_pdf as _render_pdf
from fieldapp.reports.procedures import build_procedures

__all__ = ["Section", "SECTIONS", "ReportData", "choose_period",
           "report_data", "render_html", "render_pdf", "site_report_pdf", "site_report_data",
           "still_needed", "needed_words", "render_document_html"]

UNITS = {"adults": "người", "households": "hộ", "surveys": "ý kiến hài lòng",
         "surveys_lci": "ý kiến hài lòng", "members": "thành viên tổ"}
RATED = ("surveys", "surveys_lci")      # denominators that grow with each new answer
DENOMINATORS = {d.key: d.denominator for d in DEFINITIONS}


def unit(key):
    """What an indicator counts: người, hộ, ý kiến hài lòng… ('' when unknown)."""
    return UNITS.get(DENOMINATORS.get(key), "")
STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


@dataclass
class ReportData:
    """Everything the sections read: settings, scope, period and figures."""
    settings: dict
    villages: list            # settings of the villages in scope, in settings order
    period: object            # fieldapp.periods.Period
    periods: list             # every period of the campaign
    as_of: datetime.date
    answer: dict              # fieldapp.indicators.compute() at as_of
    before: dict | None       # by_village at the end of the previous period, or None
    stats: list               # volunteer statistics in scope at as_of
    stats_before: dict        # (village_id, author) -> statistics at the previous period end
    generated_on: datetime.date
    extra: dict = field(default_factory=dict)   # room for sections added later

    @property
    def is_village(self):
        """True when the report is a village site's, covering its one village."""
        return self.settings.get("site") == "village" and len(self.villages) == 1

    @property
    def period_word(self):
        """'tuần' or 'tháng': what one period of the campaign is called."""
        return period_word(self.settings.get("campaign"))

    @property
    def commune(self):
        """'xã Phú Riềng': the commune's name as it reads inside a sentence."""
        name = self.settings.get("commune_name") or "xã"
        return name[:1].lower() + name[1:]

    @property
    def place(self):
        """'Phú Riềng': the place name of the date line."""
        name = self.settings.get("commune_name") or ""
        for prefix in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
            if name.startswith(prefix):
                return name[len(prefix):]
        return name

    def village_name(self, village_id):
        """The name of a village, or its id when it is not in the settings."""
        return next((v["name"] for v in self.villages if v["id"] == village_id), village_id)


@dataclass
class Section:
    """One part of the report: a template and the builder of its variables (None: skip)."""
    key: str
    title: str
    template: str
    build: Callable[[ReportData], dict | None]


def still_needed(entry):
    """How many more people, households or satisfied answers reach the target; None if n/a."""
    target, num, den = entry["target"], entry["numerator"], entry["denominator"]
    if target is None or not den or entry["met"]:
        return None
    goal = Fraction(str(target))
    if DENOMINATORS.get(entry["key"]) in RATED:
        # each new satisfied answer also grows the denominator: (n + x) / (d + x) >= t
        if goal >= 1:
            return None
        return max(0, math.ceil((goal * den - num) / (1 - goal)))
    return max(0, math.ceil(goal * den) - num)


def needed_words(needed, unit_):
    """The shortfall said in full: 'cần thêm 2 hộ', 'cần thêm 296 ý kiến hài lòng nếu các ý
    kiến mới đều hài lòng' (each new answer also counts in the rate); '—' when None."""
    if needed is None:
        return "—"
    words = f"cần thêm {text.vn_number(needed)} {unit_}".rstrip()
    if unit_ == UNITS["surveys"]:
        words += " nếu các ý kiến mới đều hài lòng"
    return words


EMPTY = {"key": "", "value": None, "numerator": 0, "denominator": 0, "target": None,
         "met": None, "change": None}


def _entries(items):
    return {e["key"]: e for e in items}


def _behind_rows(label, items):
    """The indicators of one scope that have a target and do not meet it."""
    return [{"scope": label, "entry": entry,
             "gap": None if entry["value"] is None else entry["target"] - entry["value"],
             "needed": still_needed(entry), "unit": unit(entry["key"])}
            for entry in items if entry["target"] is not None and not entry["met"]]


def build_summary(data):
    """Headline: targets met, households, visits."""
    items = data.answer["indicators"]
    with_target = [e for e in items if e["target"] is not None]
    known = [e for e in with_target if e["value"] is not None]
    empty = not any(e["numerator"] for e in items) and not _entries(items)[
        "households_visited"]["denominator"]
    return {"met": sum(1 for e in known if e["met"]), "with_target": len(with_target),
            "known": len(known), "items": _entries(items), "empty": empty}


def build_indicators(data):
    """The group's indicators against targets, with the change since the previous period."""
    current = data.answer["by_period"][-1]["indicators"] if data.answer["by_period"] else []
    changes = {e["key"]: e.get("change") for e in current}
    return {"rows": [dict(e, change=changes.get(e["key"]), needed=still_needed(e),
                          unit=unit(e["key"])) for e in data.answer["indicators"]],
            "chart": bars_chart(data.answer["indicators"]) if _has_values(data) else None}


PERIOD_CHUNK = 6   # periods per table, so a long campaign still fits the page width


def build_comparison(data):
    """This period against every earlier one: tables of PERIOD_CHUNK periods each."""
    periods = data.answer["by_period"]
    if not periods:
        return None
    by_key = [_entries(p["indicators"]) for p in periods]
    tables = [{"periods": periods[start:start + PERIOD_CHUNK],
               "rows": [{"label": entry["label"], "target": entry["target"],
                         "cells": [cells.get(entry["key"], EMPTY)
                                   for cells in by_key[start:start + PERIOD_CHUNK]]}
                        for entry in periods[-1]["indicators"]]}
              for start in range(0, len(periods), PERIOD_CHUNK)]
    chart = periods_chart(periods, data.period_word) if _has_values(data) else None
    return {"periods": periods, "tables": tables, "chart": chart}


CHUNK = 5   # villages per table, so a commune with many villages still fits the page width


def _village_matrix(data, cell):
    """Tables of indicator rows by village columns, CHUNK villages each; `cell` fills one."""
    ids = list(data.answer["by_village"])
    tables = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        lists = {v: _entries(data.answer["by_village"][v]) for v in chunk}
        rows = [{"label": entry["label"], "target": entry["target"],
                 "cells": [cell(v, lists[v][entry["key"]]) if entry["key"] in lists[v]
                           else dict(EMPTY, key=entry["key"]) for v in chunk]}
                for entry in data.answer["indicators"]]
        tables.append({"names": [data.village_name(v) for v in chunk], "rows": rows})
    return tables


def build_villages(data):
    """Each village against its targets, with its change since the previous period."""
    if data.is_village:
        return None

    def cell(village_id, entry):
        before = _entries((data.before or {}).get(village_id, [])).get(entry["key"])
        return dict(entry, change=change(entry["value"], before and before["value"]))
    names = [(data.village_name(v), _entries(items))
             for v, items in data.answer["by_village"].items()]
    return {"tables": _village_matrix(data, cell),
            "chart": villages_chart(names) if names and _has_values(data) else None}


def build_behind(data):
    """What is behind target, by how much, and how many people or households are missing."""
    label = data.villages[0]["name"] if data.is_village else "Toàn xã"
    rows = _behind_rows(label, data.answer["indicators"])
    tables = []
    if not data.is_village and data.answer["by_village"]:
        tables = _village_matrix(data, lambda village_id, entry: dict(
            entry, gap=None if entry["value"] is None or entry["target"] is None
            else entry["target"] - entry["value"], needed=still_needed(entry),
            unit=unit(entry["key"])))
        for table in tables:
            table["rows"] = [r for r in table["rows"] if r["target"] is not None]
    return {"rows": rows, "tables": tables}


def _has_values(data):
    """True when any indicator of the scope has a value other than none or zero."""
    return any(e["value"] for e in data.answer["indicators"])


def _village_score(items):
    """(targets met, mean progress towards the targets) of one village."""
    progress = [min(e["value"] / e["target"], 1.0) for e in items
                if e["target"] and e["value"] is not None]
    return (sum(1 for e in items if e["met"]),
            sum(progress) / len(progress) if progress else 0.0)


def build_commendations(data):
    """The volunteers and villages to commend."""
    volunteers = []
    for row in data.stats:
        if row["score"] <= 0:
            continue
        old = data.stats_before.get((row["village_id"], row["author"]))
        volunteers.append(dict(row, village=data.village_name(row["village_id"]),
                               in_period=row["households_visited"]
                               - (old["households_visited"] if old else 0)))
    villages = []
    if not data.is_village:
        for village_id, items in data.answer["by_village"].items():
            met, progress = _village_score(items)
            if progress > 0:
                villages.append({"name": data.village_name(village_id), "met": met,
                                 "progress": progress,
                                 "with_target": sum(1 for e in items if e["target"])})
        villages.sort(key=lambda v: (-v["met"], -v["progress"], v["name"]))
    return {"volunteers": volunteers[:10], "villages": villages[:3]}


SECTIONS = [
    Section("summary", "Tóm tắt", "report/_summary.html", build_summary),
    Section("indicators", "Kết quả so với chỉ tiêu", "report/_indicators.html", build_indicators),
    Section("comparison", "So sánh với các tuần trước", "report/_comparison.html",
            build_comparison),
    Section("villages", "Kết quả từng thôn", "report/_villages.html", build_villages),
    Section("procedures", "Hồ sơ thủ tục hành chính", "report/_procedures.html",
            build_procedures),
    Section("behind", "Chỉ tiêu chưa đạt và số còn thiếu", "report/_behind.html", build_behind),
    Section("commendations", "Đề nghị biểu dương", "report/_commendations.html",
            build_commendations),
]


def choose_period(settings, period=None, as_of=None, today=None):
    """(Period, cut-off date) of a report; raise NotFound or Invalid with a clear message.

    Without `period`, the latest period started by `as_of` (default today). The cut-off is
    the period's end, or `as_of`/today when the period is still running.
    """
    today = today or today_local()
    campaign = settings.get("campaign") or {}
    periods, word = periods_from_settings(campaign), period_word(campaign)
    if not periods:
        raise Invalid("Chiến dịch chưa có ngày bắt đầu và kết thúc: hãy đặt ngày chiến dịch.")
    if period is not None:
        chosen = next((p for p in periods if p.number == period), None)
        if chosen is None:
            raise NotFound(f"Không có {numbered(word, period)}: chiến dịch có các {word} "
                           f"{periods[0].number}–{periods[-1].number}.")
    else:
        day = as_of or today
        started = [p for p in periods if p.start <= day]
        if not started:
            raise Invalid(f"Chiến dịch bắt đầu ngày {text.vn_date(periods[0].start)}: "
                          f"chưa có {word} nào để báo cáo.")
        chosen = started[-1]
    cutoff = min(chosen.end, as_of or today)
    if cutoff < chosen.start:
        raise Invalid(f"{period_name(campaign, chosen.number)} bắt đầu ngày "
                      f"{text.vn_date(chosen.start)}, chưa có số liệu.")
    return chosen, cutoff, periods


def report_data(settings, histories, period=None, as_of=None, village_ids=None, today=None):
    """Gather the report's figures for the villages in `village_ids` (default: all)."""
    chosen, cutoff, periods = choose_period(settings, period, as_of, today)
    # None: every village, including records of a village missing from the settings
    ids = list(village_ids) if village_ids else None
    villages = [v for v in settings.get("villages", []) if ids is None or v["id"] in ids]
    answer = compute(settings, histories, cutoff, ids)
    before, stats_before = None, {}
    if chosen.start > periods[0].start:
        previous_end = chosen.start - datetime.timedelta(days=1)
        # no periods: only the figures at that date, one snapshot
        flat = dict(settings, campaign={})
        before = compute(flat, histories, previous_end, ids)["by_village"]
        stats_before = {(r["village_id"], r["author"]): r
                        for r in volunteer_stats(histories, previous_end)
                        if ids is None or r["village_id"] in ids}
    stats = [r for r in volunteer_stats(histories, cutoff) if ids is None or r["village_id"] in ids]
    return ReportData(settings=settings, villages=villages, period=chosen, periods=periods,
                      as_of=cutoff, answer=answer, before=before, stats=stats,
                      stats_before=stats_before, generated_on=today or today_local())


def _environment():
    env = jinja2.Environment(loader=jinja2.PackageLoader("fieldapp", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(percent=text.percent, vn_date=text.vn_date, vn_number=text.vn_number,
                       points=_points, target=text.target_cell, target_line=text.target_line,
                       source_label=source_label, needed_words=needed_words, numbered=numbered)
    return env


def _points(value, signed=True):
    # a narrow cell may break before the unit, never inside it
    return text.points(value, signed).replace(" %", "\u00a0%")


def render_html(data, sections=None):
    """The report as one HTML document with its print CSS inline."""
    env = _environment()
    parts = [(s, v) for s, v in ((s, s.build(data)) for s in (sections or SECTIONS))
             if v is not None]
    rendered = [Markup(env.get_template(s.template).render(data=data, section=s,
                                                          number=i + 1, **v))
                for i, (s, v) in enumerate(parts)]
    return render_document_html("report/report.html", data, sections=rendered, env=env)


def render_document_html(template, data, env=None, **context):
    """An HTML document of `template` with the print CSS inline, the report's filters and
    the Decree 30 head and foot of `data` (anything decree30.heading reads)."""
    with open(os.path.join(STATIC, "report.css"), encoding="utf-8") as handle:
        css = Markup(handle.read())
    return (env or _environment()).get_template(template).render(
        data=data, css=css, head=heading(data), nation=NATION, motto=MOTTO, **context)


def render_pdf(html):
    """PDF bytes of an HTML document (WeasyPrint)."""
    return _render_pdf(html, base_url=STATIC)


def site_report_pdf(site, period=None, as_of=None, village_ids=None):
    """The report of a site (or of some of its villages) as PDF bytes."""
    return render_pdf(render_html(site_report_data(site, period, as_of, village_ids)))


def site_report_data(site, period=None, as_of=None, village_ids=None):
    """The ReportData of a site (or of some of its villages)."""
    site.store.refresh()
    data = report_data(site.settings, site.store.histories(), period, as_of, village_ids)
    if site.kind == "commune" and not village_ids:
        from fieldapp.indicators.procedures import figures
        data.extra["procedure_figures"] = figures(site)
    return data

