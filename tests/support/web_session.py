"""A person's browser session against a real server, without a browser: cookies kept,
redirects not followed (a save answers 302), forms and file uploads posted as pages do."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = ["PageSession"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class PageSession:
    """Sign in through /login, then get pages and post forms with their CSRF token."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, body, dict(error.headers)

    def get(self, path):
        """(status, body bytes, headers)."""
        return self._open(urllib.request.Request(self.base_url + path))

    def text(self, path):
        status, body, _ = self.get(path)
        return status, body.decode("utf-8")

    def token(self, path):
        """The CSRF token the page at `path` renders."""
        _, page = self.text(path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(self, path, fields):
        """Post url-encoded `fields` (a dict or pairs)."""
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=data, headers={
            "Content-Type": "application/x-www-form-urlencoded"}))

    def upload(self, path, fields, name, filename, content,
               content_type="application/octet-stream"):
        """Post multipart/form-data: text `fields` and one file."""
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"'
                         f'\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                     + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._open(urllib.request.Request(
            self.base_url + path, data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))

    def login(self, username, secret):
        """Sign in through the page; return the status (302 when signed in)."""
        token = self.token("/login")
        status, _, _ = self.post("/login", {"csrf_token": token, "username": username,
                                            "secret": secret})
        return status
