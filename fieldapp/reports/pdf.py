"""WeasyPrint for the report and the QR sheets: `render_pdf(html)` gives a PDF's bytes."""

__all__ = ["render_pdf"]


def render_pdf(html, base_url=None):
    """PDF bytes of an HTML document; `base_url` resolves its relative addresses.

    WeasyPrint is imported on first use: most requests and commands never need it.
    """
    import weasyprint
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf()
