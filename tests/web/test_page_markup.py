"""Every page of the access table, as each role sees it, holds markup the checkers
accept: ids used once, aria-describedby naming an element that is there, one h1,
every wide table in a labelled scroll region a keyboard can reach."""
from html.parser import HTMLParser

import pytest

from tests.support.page_walk import commune_for_pages, html_pages, village_for_pages


class Markup(HTMLParser):
    """The ids, references, headings and scroll regions of one page."""

    def __init__(self, text):
        super().__init__()
        self.ids, self.described_by, self.h1 = [], [], 0
        self.tables, self.stack, self.bad_regions = 0, [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        self.described_by += (attrs.get("aria-describedby") or "").split()
        self.h1 += tag == "h1"
        if tag == "table":
            self.tables += 1
            region = next((a for a in reversed(self.stack) if "scroll" in a.get("class", "").split()),
                          None)
            if region is None or region.get("tabindex") != "0" or region.get("role") != "region" \
                    or not region.get("aria-label"):
                self.bad_regions.append(region)
        if tag not in ("input", "meta", "link", "br", "img", "hr", "col", "source"):
            self.stack.append(attrs)

    def handle_endtag(self, tag):
        if self.stack and tag not in ("input", "meta", "link", "br", "img", "hr", "col", "source"):
            self.stack.pop()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    village, values = village_for_pages(tmp_path_factory.mktemp("pages") / "village")
    commune, commune_values = commune_for_pages(tmp_path_factory.mktemp("pages") / "commune")
    found = {("village",) + key: text for key, text in html_pages(village, values).items()}
    found.update({("commune",) + key: text
                  for key, text in html_pages(commune, commune_values).items()})
    return found


def test_the_walk_reaches_the_pages_of_every_role(pages):
    roles = {(kind, role) for kind, role, _ in pages}
    assert roles == {("village", r) for r in ("anonymous", "volunteer", "lead", "admin")} | {
        ("commune", r) for r in ("anonymous", "staff", "admin")}
    urls = {url for _, _, url in pages}
    assert {"/conflicts", "/commune/conflicts", "/volunteers", "/round/cards", "/login",
            "/commune/", "/households"} <= urls


def test_no_page_uses_an_id_twice(pages):
    twice = {key: sorted({i for i in m.ids if m.ids.count(i) > 1})
             for key, m in ((k, Markup(t)) for k, t in pages.items())}
    assert {key: ids for key, ids in twice.items() if ids} == {}


def test_aria_describedby_names_an_element_of_the_page(pages):
    dangling = {}
    for key, text in pages.items():
        markup = Markup(text)
        missing = sorted(set(markup.described_by) - set(markup.ids))
        if missing:
            dangling[key] = missing
    assert dangling == {}


def test_every_page_has_exactly_one_h1(pages):
    assert {key: n for key, n in ((k, Markup(t).h1) for k, t in pages.items()) if n != 1} == {}


def test_every_table_scrolls_in_a_labelled_focusable_region(pages):
    bad = {key: m.bad_regions for key, m in ((k, Markup(t)) for k, t in pages.items())
           if m.bad_regions}
    assert bad == {}
    assert sum(Markup(t).tables for t in pages.values()) > 0
