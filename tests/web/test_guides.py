"""Citizen guides: public, complete, readable on a 360 px phone; every other page needs
sign-in."""
import unicodedata

import pytest

from fieldapp.guide_texts import GUIDES, guide_by_slug

# Endpoints open without sign-in besides the guides: signing in, the health check, static
# files, the round app's shell (it signs in through the API on the phone) and the API's
# OpenAPI description (no data, only the shape of the API).
OPEN = {"auth.login", "healthz", "static", "round.app", "round.script", "api.login", "round.login_card",
        "api.openapi_json", "favicon"}


def test_there_is_a_guide_for_every_task_of_the_campaign():
    slugs = [g.slug for g in GUIDES]
    assert len(slugs) == len(set(slugs)) >= 6
    for needed in ("cai-dat-vneid", "kich-hoat-muc-2", "quen-mat-khau-vneid",
                   "cap-nhat-so-dien-thoai", "mo-tai-khoan-ngan-hang", "nop-ho-so-truc-tuyen",
                   "thanh-toan-truc-tuyen"):
        assert guide_by_slug(needed) is not None, needed


def test_guides_are_short_steps_in_nfc_vietnamese():
    for guide in GUIDES:
        assert 3 <= len(guide.steps) <= 12, guide.slug
        texts = [guide.title, guide.summary, guide.help_text, *guide.needs,
                 *(s.text for s in guide.steps), *(s.tip for s in guide.steps)]
        for text_ in texts:
            assert text_ == unicodedata.normalize("NFC", text_)
        for step in guide.steps:
            assert len(step.text) <= 160, step.text        # one action, one short sentence
        assert "OTP" in guide.help_text or "mật khẩu" in guide.help_text


def test_every_guide_page_opens_without_sign_in(client):
    index = client.get("/guides/")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    for guide in GUIDES:
        assert f'href="/guides/{guide.slug}"' in page
        response = client.get(f"/guides/{guide.slug}")
        assert response.status_code == 200, guide.slug
        body = response.get_data(as_text=True)
        assert guide.title in body and guide.official_url in body
        assert body.count('class="do"') == len(guide.steps)
        assert "<script" not in body


@pytest.mark.parametrize("slug", ["khong-co", "CAI-DAT-VNEID", "x" * 300,
                                  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                                  "h%C6%B0%E1%BB%9Bng-d%E1%BA%ABn"])
def test_unknown_guide_gets_a_friendly_vietnamese_404(client, slug):
    response = client.get(f"/guides/{slug}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Không tìm thấy hướng dẫn này" in body
    assert "<script>alert" not in body
    assert body.count('href="/guides/') >= len(GUIDES)   # the way on: every guide


def _path_for(rule):
    values = {name: 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"
              for name in rule.arguments}
    return rule.build(values)[1]


def test_every_other_page_needs_sign_in(app):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN or rule.endpoint.startswith("guides."):
            continue
        path = _path_for(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            checked += 1
            where = f"{method} {path} ({rule.endpoint})"
            if path.startswith("/api/"):
                assert response.status_code in (400, 401, 405), where
            elif method == "GET":
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login"), where
            else:     # a form post without session or CSRF token is refused before anything
                assert response.status_code in (302, 400, 401), where
    assert checked > 10


@pytest.mark.browser
def test_guide_pages_fit_a_360px_phone(live_server, phone, tmp_path):
    page, errors = phone.page, phone.errors
    for path in ["/guides/", "/guides/khong-co"] + [f"/guides/{g.slug}" for g in GUIDES]:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
        small = page.evaluate("""[...document.querySelectorAll('main a')]
            .filter(a => a.getBoundingClientRect().height < 44).map(a => a.textContent)""")
        assert not small, (path, small)
    page.goto(live_server.url + f"/guides/{GUIDES[1].slug}")
    page.screenshot(path=str(tmp_path / "guide.png"), full_page=True)
    failed = [(status, url) for status, url in phone.failed if not url.endswith("/guides/khong-co")]
    assert not errors and not failed, (errors, failed)     # e.g. a CSP refusal

