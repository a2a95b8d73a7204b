"""axe-core in the real Chromium on every page of the access table, signed in as each
role: no violation of impact serious or critical. Each URL is checked once, as the first
role that reaches it (the roles' pages differ, one page's markup does not by role)."""
import os
import shutil

import pytest

from tests.support.live import LiveServer
from tests.support.page_walk import (ROLES, SECRETS, commune_for_pages, html_pages,
                                     village_for_pages)

pytestmark = pytest.mark.browser
AXE = os.path.join(os.path.dirname(__file__), "..", "..", ".ci", "npm", "node_modules",
                   "axe-core", "axe.min.js")
RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => [v.id, v.nodes.slice(0, 3).map(n => n.target.join(' '))])"""


@pytest.mark.parametrize("build", [village_for_pages, commune_for_pages])
def test_every_page_has_no_serious_axe_violation_for_any_role(build, tmp_path):
    if not os.path.exists(AXE):
        if os.environ.get("CI"):
            raise AssertionError("axe-core missing: .ci/run installs it into .ci/npm")
        pytest.skip("npm install --prefix .ci/npm axe-core (see .ci/run)")
    from playwright.sync_api import sync_playwright
    site, values = build(tmp_path / "site")
    pages = sorted(html_pages(site, values))
    server = LiveServer(site.data_dir).start()
    found, seen = {}, set()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=["--no-sandbox"])
            for role, username in ROLES[site.kind].items():
                context = browser.new_context(viewport={"width": 360, "height": 740},
                                              locale="vi-VN", bypass_csp=True)
                page = context.new_page()
                if username:
                    page.goto(server.url + "/login")
                    page.fill("#username", username)
                    page.fill("#secret", SECRETS[username])
                    page.click("main button[type=submit]")
                    page.wait_for_load_state()
                for _, url in (key for key in pages if key[0] == role):
                    if url in seen and url != "/":   # one view of a page is enough; each
                        continue                     # role still gets its own home page
                    seen.add(url)
                    page.goto(server.url + url)
                    page.add_script_tag(path=AXE)
                    bad = page.evaluate(RUN)
                    if bad:
                        found[role, url] = bad
                context.close()
            browser.close()
    finally:
        server.stop()
    assert found == {}
