"""The report's file formats: one place that turns its data into PDF, Word or Excel bytes,
for the command line and the report pages alike."""

__all__ = ["MIME", "render_report"]

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
