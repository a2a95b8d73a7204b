"""Text goes out gzipped to a client that accepts it, decoding to the same bytes;
downloads, small bodies and already-compressed files go out as they are."""
import gzip

from tests.support.factories import LEAD_PIN
from tests.support.pages import login_page

GZIP = {"Accept-Encoding": "gzip, deflate"}


def fetch(client, path, headers=None):
    """(response, body bytes) of a GET, the response closed (static files are open files)."""
    response = client.get(path, headers=headers or {})
    body = response.get_data()
    response.close()
    return response, body


def test_pages_scripts_and_styles_are_gzipped_and_decode_to_the_same_bytes(client):
    for path in ("/round", "/login", "/static/round.css", "/static/round/views.js",
                 "/static/app.css", "/api/v1/openapi.json"):
        plain, plain_body = fetch(client, path)
        packed, packed_body = fetch(client, path, GZIP)
        assert packed.status_code == plain.status_code == 200, path
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in packed.headers["Vary"], path
        assert "Content-Encoding" not in plain.headers, path
        assert int(packed.headers["Content-Length"]) == len(packed_body), path
        if path != "/login":                        # the login page's CSRF token is new
            assert gzip.decompress(packed_body) == plain_body, path
        assert len(packed_body) < len(plain_body) * 0.6, path


def test_a_cached_static_file_is_still_not_modified_when_gzipped(client):
    first, packed = fetch(client, "/static/round.css", GZIP)
    again, _ = fetch(client, "/static/round.css",
                     dict(GZIP, **{"If-None-Match": first.headers["ETag"]}))
    assert again.status_code == 304
    assert fetch(client, "/static/round.css", GZIP)[1] == packed        # made once, kept
    assert gzip.decompress(packed) == fetch(client, "/static/round.css")[1]


def test_no_gzip_without_asking_for_it_or_when_it_is_refused(client):
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        response = client.get("/round", headers=headers)
        assert "Content-Encoding" not in response.headers, headers
        assert b"<!doctype html>" in response.get_data()


def test_small_bodies_images_and_downloads_go_out_as_they_are(client):
    assert "Content-Encoding" not in client.get("/healthz", headers=GZIP).headers
    icon, body = fetch(client, "/favicon.ico", GZIP)
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers
    assert body[:4] == b"\x00\x00\x01\x00"          # an ICO file
    login_page(client, "lan", LEAD_PIN)
    csv = client.get("/reports/volunteers.csv", headers=GZIP)
    assert csv.status_code == 200 and "Content-Encoding" not in csv.headers
    export = client.get("/export", headers=GZIP)
    assert export.headers.get("Content-Encoding") == "gzip"    # the page, not the file


def test_the_icon_is_served_to_anyone_without_signing_in(client):
    response, _ = fetch(client, "/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
