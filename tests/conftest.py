"""Fixtures: a village site of its own per test, the Flask client, the CLI runner, and the
real `fieldapp serve` on 127.0.0.1 for HTTP, crash and browser tests."""
import fcntl
import json
import pathlib
import shutil
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from fieldapp import create_app
from fieldapp.site import Site
from tests.support import factories
from tests.support.live import LiveServer


class SiteTemplates:
    """Sites built once per session and copied for each test that asks.

    Building a site hashes each user's secret with scrypt (about 0.2 s apiece here), so
    the same site is built once per set of arguments and each test gets a copy of its
    data directory: its own settings, keys, store and meta files, nothing shared with
    another test. The copies carry the template's site id and keys; a test that needs
    two sites that are different laptops builds them with `factories` directly.
    `quick_hashes=True` (see factories.QUICK_TEST_HASH) makes signing in cheap for tests
    that are not about hashing."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.built = {}

    def copy(self, path, build, *args, **kwargs):
        """A copy at `path` of the site `build(template_path, *args, **kwargs)` makes."""
        key = (build.__name__, args, tuple(sorted(kwargs.items())))
        if key not in self.built:
            template = self.tmp_path_factory.mktemp("site-template") / "site"
            build(template, *args, **kwargs).close()
            self.built[key] = template
        # shutil.copy, not copy2: the files are new, as a fresh site's are (mode kept)
        shutil.copytree(self.built[key], path, copy_function=shutil.copy)
        return Site(str(path))


@pytest.fixture(scope="session", autouse=True)
def quick_hashes_in_this_process():
    """Secrets stored by this process are hashed with factories.QUICK_TEST_HASH: scrypt's
    0.1 s per user and per sign-in was a tenth of the suite. tests/web/test_bruteforce.py
    keeps the app's scrypt (factories.real_hashes), and subprocesses always use it."""
    from fieldapp.auth import accounts
    real = factories.quick_hashing()
    yield
    accounts.generate_password_hash = real


@pytest.fixture(scope="session")
def site_templates(tmp_path_factory):
    return SiteTemplates(tmp_path_factory)


@pytest.fixture
def site(site_templates, tmp_path):
    """A village site (thon-3) with users lan (lead), minh (volunteer), quantri (admin),
    their secrets stored with factories.QUICK_TEST_HASH."""
    return site_templates.copy(tmp_path / "village", factories.village_site, quick_hashes=True)


@pytest.fixture
def app(site):
    """The Flask app of the village site, CSRF on as in production."""
    return create_app({"DATA_DIR": site.data_dir, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id):
    """`fieldapp demo --no-serve`, run once for the whole run: (its data directory, its
    result's exit code and output). The demo builds five villages of about a thousand
    households, a commune and a province; the tests that use it only read it (a test that
    serves or changes it copies it first). Under xdist the first worker to ask builds it
    in the run's shared temporary directory and the others wait for it."""
    if worker_id == "master":
        return _build_demo(tmp_path_factory.mktemp("demo"))
    shared = tmp_path_factory.getbasetemp().parent         # this run's, every worker's
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "demo-result.json"
        if not done.exists():
            built = _build_demo(shared / "demo-site")
            done.write_text(json.dumps({"root": str(built.root), "exit_code":
                                        built.result.exit_code, "output": built.result.output}))
        saved = json.loads(done.read_text())
    return SimpleNamespace(root=pathlib.Path(saved["root"]), result=SimpleNamespace(
        exit_code=saved["exit_code"], output=saved["output"]))


def _build_demo(folder):
    from fieldapp.cli import main
    root = folder / "demo"
    result = CliRunner().invoke(main, ["--data", str(root), "demo", "--no-serve"])
    return SimpleNamespace(root=root, result=SimpleNamespace(exit_code=result.exit_code,
                                                             output=result.output))


@pytest.fixture
def live_server(site):
    """The real server on the `site` fixture's data directory."""
    server = LiveServer(site.data_dir).start()
    yield server
    server.stop()


@pytest.fixture
def api_token(client):
    """A bearer token of volunteer minh (thon-3) through the test client."""
    return _api_login(client, "minh", factories.VOL_PIN)


@pytest.fixture
def lead_token(client):
    """A bearer token of lead lan (thon-3) through the test client."""
    return _api_login(client, "lan", factories.LEAD_PIN)


def _api_login(client, username, secret):
    response = client.post("/api/v1/login", json={"username": username, "secret": secret})
    assert response.status_code == 200, response.json
    return response.json["token"]


BROWSER_FIXTURES = {"chromium", "phone", "browser"}


def pytest_collection_modifyitems(items):
    """Every test that drives Chromium carries @pytest.mark.browser, so that
    `-m "not browser"` leaves out exactly those."""
    def fixtures(item):     # a parametrize argument named `phone` is not the fixture
        callspec = getattr(item, "callspec", None)
        return set(getattr(item, "fixturenames", ())) - set(callspec.params if callspec else ())
    unmarked = [item.nodeid for item in items if BROWSER_FIXTURES & fixtures(item)
                and item.get_closest_marker("browser") is None]
    if unmarked:
        raise pytest.UsageError("tests driving Chromium without @pytest.mark.browser: "
                                + ", ".join(unmarked))


CHROMIUM_ARGS = ["--no-sandbox", "--host-resolver-rules=MAP fieldapp.lan 127.0.0.1",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]


@pytest.fixture(scope="module")
def chromium():
    """The system Chromium driven by Playwright, one per test module."""
    if not shutil.which("chromium"):
        pytest.skip("no system Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A 360×740 phone page in Vietnamese; `.errors` collects console errors (a CSP refusal,
    a script error) and `.failed` the (status, url) of 4xx/5xx answers."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                   timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    found = SimpleNamespace(page=page, errors=[], failed=[])
    page.on("console", lambda m: found.errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: found.failed.append((r.status, r.url)) if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    yield found
    context.close()
