"""The report's file formats: one place that turns its data into PDF, Word or Excel bytes,
for the command line and the report pages alike."""

__all__ = ["MIME", "render_report", "site_report"]

MIME = {"pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render_report(data, kind):
    """Bytes of a ReportData as `kind` (a key of MIME)."""
    if kind == "docx":
        from fieldapp.reports.word import render_docx
        return render_docx(data)
    if kind == "xlsx":
        from fieldapp.reports.workbook import render_xlsx
        return render_xlsx(data)
    from fieldapp.reports.weekly import render_html, render_pdf
    return render_pdf(render_html(data))


def site_report(site, kind, period=None, as_of=None, village_ids=None):
    """Bytes of a site's report as `kind`: on a province site the province report, else
    the weekly report of the site (or of some of its villages)."""
    if site.kind == "province":
        from fieldapp.reports.province import render_province, site_province_report
        return render_province(site_province_report(site, period, as_of), kind)
    from fieldapp.reports.weekly import site_report_data
    return render_report(site_report_data(site, period, as_of, village_ids), kind)
