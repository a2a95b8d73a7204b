"""Gzip for the text a phone loads at the edge of Wi-Fi range (/round: about 47 KB of
HTML, JS and CSS, a third of that gzipped).

An after_request hook: a response is compressed when the client accepts gzip, its type
is text (HTML, CSS, JS, JSON, SVG), its body is worth it and it is not a download.
Static files (sent as a file, `direct_passthrough`) are read and compressed once per
version (ETag); every other passthrough or streamed body is left exactly as it is, so
exports and other downloads keep their bytes and their Content-Length."""
import gzip

from flask import request

__all__ = ["init_app", "COMPRESSIBLE", "MIN_SIZE"]

COMPRESSIBLE = frozenset(("text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml", "text/plain"))
MIN_SIZE = 512          # below one packet gzip saves nothing worth the header
_STATIC_CACHE_SIZE = 64


def _wanted(response):
    """True when this response to this request should go out gzipped."""
    if request.method == "HEAD" or response.status_code != 200:
        return False
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return False
    if "attachment" in response.headers.get("Content-Disposition", ""):
        return False
    if response.is_streamed and not _is_static_file(response):
        return False
    return request.accept_encodings["gzip"] > 0


def _is_static_file(response):
    return response.direct_passthrough and request.endpoint == "static"


def init_app(app):
    """Register the hook on `app`. Call it before other after_request hooks are
    registered: hooks run last-registered first, so this one then sees the final body."""
    static_cache = {}

    def static_body(response):
        """The gzipped bytes of a static file, made once per (path, ETag)."""
        key = (request.path, response.get_etag()[0])
        if key[1] is None or key not in static_cache:
            response.direct_passthrough = False
            source = response.response
            body = gzip.compress(response.get_data(), compresslevel=6, mtime=0)
            source.close()                  # the file the bytes were read from
            if key[1] is None:
                return body
            if len(static_cache) >= _STATIC_CACHE_SIZE:
                static_cache.clear()
            static_cache[key] = body
        else:
            response.response.close()      # the open file the cached bytes replace
        return static_cache[key]

    @app.after_request
    def compress(response):
        if response.mimetype in COMPRESSIBLE:
            response.vary.add("Accept-Encoding")
        if not _wanted(response):
            return response
        if _is_static_file(response):
            if (response.content_length or 0) < MIN_SIZE:
                return response
            body = static_body(response)
        else:
            if response.direct_passthrough:
                return response
            data = response.get_data()
            if len(data) < MIN_SIZE:
                return response
            body = gzip.compress(data, compresslevel=6, mtime=0)
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.headers.pop("Accept-Ranges", None)     # ranges would be of the plain bytes
        etag, _ = response.get_etag()
        if etag:        # weak, as nginx does: same content, and If-None-Match still gives 304
            response.set_etag(etag, weak=True)
        return response

    return app
