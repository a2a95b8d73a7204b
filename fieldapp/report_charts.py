"""Charts of the report, drawn as inline SVG (no images, no JavaScript), 0–100 % scales."""
from markupsafe import Markup, escape

from fieldapp import text
from fieldapp.indicators import LABELS

__all__ = ["bars_svg", "periods_svg", "villages_svg", "SERIES"]

FONT = 'font-family="DejaVu Sans, Noto Sans, sans-serif"'
# (indicator key, colour, dash pattern): distinguishable in colour and in grey print
SERIES = (("adult_online_usage", "#0b4f9c", ""), ("household_vneid_level2", "#b35c00", "6 3"),
          ("adult_bank_account", "#0a6b2d", "2 3"), ("households_visited", "#7a1fa2", "10 3 2 3"),
          ("satisfaction", "#a40e0e", "1 2"))


def _svg(width, height, body, title):
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'width="100%" role="img" aria-label="{escape(title)}" {FONT}>'
                  f'<title>{escape(title)}</title>{body}</svg>')


def _pct(value):
    return escape(text.percent(value))


def bars_svg(items):
    """One bar per indicator with its target marked; missing values drawn as a note."""
    width, row, left = 640, 40, 4
    scale = width - 120
    parts = []
    for i, entry in enumerate(items):
        y = i * row
        parts.append(f'<text x="{left}" y="{y + 13}" font-size="12">'
                     f'{escape(entry["label"])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 18}" width="{scale}" height="14" fill="#e6e6e6"/>')
        if entry["value"] is None:
            parts.append(f'<text x="{left + 6}" y="{y + 29}" font-size="11" fill="#444">'
                         'chưa có số liệu</text>')
        else:
            bar = min(entry["value"], 1.0) * scale
            colour = {True: "#0a6b2d", False: "#a40e0e"}.get(entry["met"], "#0b4f9c")
            parts.append(f'<rect x="{left}" y="{y + 18}" width="{bar:.1f}" height="14" '
                         f'fill="{colour}"/>')
            parts.append(f'<text x="{left + scale + 8}" y="{y + 30}" font-size="12" '
                         f'font-weight="bold">{_pct(entry["value"])}</text>')
        if entry["target"] is not None:
            x = left + min(entry["target"], 1.0) * scale
            parts.append(f'<line x1="{x:.1f}" y1="{y + 15}" x2="{x:.1f}" y2="{y + 35}" '
                         'stroke="#111" stroke-width="2.5"/>')
    legend_y = len(items) * row + 10
    parts.append(f'<line x1="{left}" y1="{legend_y - 6}" x2="{left}" y2="{legend_y + 6}" '
                 'stroke="#111" stroke-width="2.5"/>'
                 f'<text x="{left + 8}" y="{legend_y + 4}" font-size="11">chỉ tiêu</text>'
                 f'<rect x="{left + 80}" y="{legend_y - 5}" width="12" height="10" fill="#0a6b2d"/>'
                 f'<text x="{left + 96}" y="{legend_y + 4}" font-size="11">đạt</text>'
                 f'<rect x="{left + 140}" y="{legend_y - 5}" width="12" height="10" '
                 'fill="#a40e0e"/>'
                 f'<text x="{left + 156}" y="{legend_y + 4}" font-size="11">chưa đạt</text>')
    return _svg(width, legend_y + 14, "".join(parts), "Biểu đồ chỉ số so với chỉ tiêu")


def periods_svg(periods, word="tuần"):
    """A line per main indicator across the periods, cumulative values at each period end."""
    width, height, left, top, bottom = 640, 250, 44, 10, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    parts = []
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" '
                     'stroke="#ccc" stroke-width="1"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{tick} %</text>')
    count = len(periods)
    step = plot_w / max(count - 1, 1)

    def x_of(i):
        return left + (i * step if count > 1 else plot_w / 2)
    for i, period in enumerate(periods):
        parts.append(f'<text x="{x_of(i):.1f}" y="{height - bottom + 18}" font-size="12" '
                     f'text-anchor="middle">{escape(word.capitalize())} {period["period"]}</text>')
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
    legend = []
    for i, (key, colour, dash) in enumerate(SERIES):
        if key not in LABELS:
            continue
        x, y = (4 + (i % 2) * 320), height + 4 + (i // 2) * 18
        legend.append(f'<line x1="{x}" y1="{y}" x2="{x + 26}" y2="{y}" stroke="{colour}" '
                      f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
                      f'<text x="{x + 32}" y="{y + 4}" font-size="10.5">'
                      f'{escape(LABELS[key])}</text>')
    total = height + 4 + ((len(SERIES) + 1) // 2) * 18
    return _svg(width, total, "".join(parts + legend), "Biểu đồ chỉ số qua các đợt")


def villages_svg(villages, keys=("households_visited", "adult_online_usage")):
    """Two bars per village: households visited and adults using online services."""
    width, left, row = 640, 150, 16 * len(keys) + 12
    scale = width - left - 70
    colours = {"households_visited": "#7a1fa2", "adult_online_usage": "#0b4f9c"}
    parts = []
    for i, (name, entries) in enumerate(villages):
        y = i * row
        parts.append(f'<text x="{left - 8}" y="{y + 8 + 8 * len(keys)}" font-size="12" '
                     f'text-anchor="end">{escape(name)}</text>')
        for j, key in enumerate(keys):
            entry = entries.get(key)
            value = entry["value"] if entry else None
            by = y + 4 + j * 16
            bar = 0 if value is None else min(value, 1.0) * scale
            parts.append(f'<rect x="{left}" y="{by}" width="{scale}" height="12" fill="#eee"/>'
                         f'<rect x="{left}" y="{by}" width="{bar:.1f}" height="12" '
                         f'fill="{colours.get(key, "#0b4f9c")}"/>'
                         f'<text x="{left + scale + 6}" y="{by + 10}" font-size="11">'
                         f'{_pct(value)}</text>')
    legend_y = len(villages) * row + 12
    for j, key in enumerate(keys):
        y = legend_y + j * 16
        parts.append(f'<rect x="{left}" y="{y - 9}" width="12" height="10" '
                     f'fill="{colours.get(key, "#0b4f9c")}"/>'
                     f'<text x="{left + 16}" y="{y}" font-size="10.5">{escape(LABELS[key])}</text>')
    return _svg(width, legend_y + 16 * len(keys), "".join(parts), "Biểu đồ kết quả từng thôn")
