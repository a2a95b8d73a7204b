"""Charts of the report: vector graphics drawn as inline SVG (no images, no JavaScript),
0–100 % scales, with their long words (indicator and village names, legends) in HTML.

WeasyPrint lays out and draws SVG <text> one letter at a time, so a chart labelled
inside its SVG cost more than all the report's tables: only short figures (ticks,
percentages) are SVG text here, and names sit in the HTML beside the shapes.
"""
from markupsafe import Markup, escape

from fieldapp.forms import text
from fieldapp.indicators.definitions import LABELS
from fieldapp.indicators.periods import numbered

__all__ = ["bars_chart", "periods_chart", "villages_chart", "SERIES"]

FONT = 'font-family="Times New Roman, Liberation Serif, serif"'
# (indicator key, colour, dash pattern): distinguishable in colour and in grey print
SERIES = (("adult_online_usage", "#0b4f9c", ""), ("household_vneid_level2", "#b35c00", "6 3"),
          ("adult_bank_account", "#0a6b2d", "2 3"), ("households_visited", "#7a1fa2", "10 3 2 3"),
          ("satisfaction", "#a40e0e", "1 2"))
MET, MISSED, NEUTRAL = "#0a6b2d", "#a40e0e", "#0b4f9c"
VILLAGE_COLOURS = {"households_visited": "#7a1fa2", "adult_online_usage": "#0b4f9c"}


def _svg(width, height, body, css_class, title=None):
    """An SVG scaled to its box's width; `title` names it, else it is decoration."""
    label = (f'role="img" aria-label="{escape(title)}"' if title else 'aria-hidden="true"')
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'class="{css_class}" {label} {FONT}>{body}</svg>')


def _pct(value):
    return escape(text.percent(value))


def _key(shape):
    """A legend's sample of a line or colour, drawn as a small SVG."""
    return _svg(26, 10, shape, "key")


def _line_key(colour, dash="", width=2.5):
    return _key(f'<line x1="0" y1="5" x2="26" y2="5" stroke="{colour}" stroke-width="{width}" '
                f'stroke-dasharray="{dash}"/>')


def _box_key(colour):
    return _key(f'<rect x="7" y="0" width="12" height="10" fill="{colour}"/>')


def _legend(entries, columns=False):
    """An HTML legend of (sample, words) pairs, on one line or in two columns."""
    items = "".join(f'<li>{sample} {escape(words)}</li>' for sample, words in entries)
    return Markup(f'<ul class="legend{" columns" if columns else ""}">{items}</ul>')


def bars_chart(items):
    """One bar per indicator with its target marked; missing values drawn as a note."""
    width, left, scale = 640, 4, 520
    rows = []
    for entry in items:
        parts = [f'<rect x="{left}" y="3" width="{scale}" height="14" fill="#e6e6e6"/>']
        if entry["value"] is None:
            parts.append(f'<text x="{left + 6}" y="14" font-size="11" fill="#444">'
                         'chưa có số liệu</text>')
        else:
            bar = min(entry["value"], 1.0) * scale
            colour = {True: MET, False: MISSED}.get(entry["met"], NEUTRAL)
            parts.append(f'<rect x="{left}" y="3" width="{bar:.1f}" height="14" '
                         f'fill="{colour}"/>'
                         f'<text x="{left + scale + 8}" y="15" font-size="12" '
                         f'font-weight="bold">{_pct(entry["value"])}</text>')
        if entry["target"] is not None:
            x = left + min(entry["target"], 1.0) * scale
            parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="20" '
                         'stroke="#111" stroke-width="2.5"/>')
        rows.append(f'<div class="bar"><p>{escape(entry["label"])}</p>'
                    f'{_svg(width, 20, "".join(parts), "bar")}</div>')
    legend = _legend([(_line_key("#111"), "chỉ tiêu"), (_box_key(MET), "đạt"),
                      (_box_key(MISSED), "chưa đạt")])
    return Markup(f'<div class="bars">{"".join(rows)}</div>{legend}')


def periods_chart(periods, word="tuần"):
    """A line per main indicator across the periods, cumulative values at each period end."""
    width, height, left, top, bottom, right = 640, 250, 44, 10, 40, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = []
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     'stroke="#ccc" stroke-width="1"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{tick} %</text>')
    count = len(periods)
    step = plot_w / max(count - 1, 1)

    def x_of(i):
        return left + (i * step if count > 1 else plot_w / 2)
    size = 12 if count <= 8 else 10      # "Tuần 11" labels 56 units apart still do not touch
    for i, period in enumerate(periods):
        parts.append(f'<text x="{x_of(i):.1f}" y="{height - bottom + 18}" font-size="{size}" '
                     f'text-anchor="middle">{escape(numbered(word, period["period"]).capitalize())}</text>')
    for key, colour, dash in SERIES:
        points = []
        for i, period in enumerate(periods):
            entry = next((e for e in period["indicators"] if e["key"] == key), None)
            if entry is not None and entry["value"] is not None:
                y = top + plot_h * (1 - min(entry["value"], 1.0))
                points.append((x_of(i), y))
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2.5" stroke-dasharray="{dash}"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>' for x, y in points]
    legend = _legend([(_line_key(colour, dash), LABELS[key])
                      for key, colour, dash in SERIES if key in LABELS],
                     columns=True)
    chart = _svg(width, height - 10, "".join(parts), "lines", f"Biểu đồ chỉ số qua các {word}")
    return Markup(f"{chart}{legend}")


def villages_chart(villages, keys=("households_visited", "adult_online_usage")):
    """Two bars per village: households visited and adults using online services."""
    width, scale = 490, 420
    rows = []
    for name, entries in villages:
        parts = []
        for j, key in enumerate(keys):
            entry = entries.get(key)
            value = entry["value"] if entry else None
            y = 2 + j * 16
            bar = 0 if value is None else min(value, 1.0) * scale
            parts.append(f'<rect x="0" y="{y}" width="{scale}" height="12" fill="#eee"/>'
                         f'<rect x="0" y="{y}" width="{bar:.1f}" height="12" '
                         f'fill="{VILLAGE_COLOURS.get(key, NEUTRAL)}"/>'
                         f'<text x="{scale + 6}" y="{y + 10}" font-size="11">{_pct(value)}</text>')
        svg = _svg(width, 16 * len(keys) + 4, "".join(parts), "bar")
        rows.append(f'<tr><th>{escape(name)}</th><td>{svg}</td></tr>')
    legend = _legend([(_box_key(VILLAGE_COLOURS.get(key, NEUTRAL)), LABELS[key])
                      for key in keys])
    return Markup(f'<table class="village-bars"><tbody>{"".join(rows)}</tbody></table>{legend}')
