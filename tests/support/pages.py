"""Signing in through the real pages, and the CSRF token a page renders."""
import re

__all__ = ["login_page", "csrf_token", "browser_login"]


def login_page(client, username, secret):
    """Sign in through the real page, CSRF token included; return the response."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "secret": secret})


def csrf_token(client, path):
    """The CSRF token a page renders."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def browser_login(page, base_url, username, secret):
    """Sign in on the real sign-in page in Chromium (a Playwright page)."""
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#secret", secret)
    page.click("main button[type=submit]")
