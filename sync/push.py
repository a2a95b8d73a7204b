"""Sending a village's changes to the commune over HTTP (SPEC §7): the client side of
`POST /api/v1/batches`, used by `fieldapp push` and the lead's "Gửi qua mạng" button;
and a commune's roll-up to the province (`POST /api/v1/rollups`, SPEC §7a), `post_body`.

The batch is sealed for the commune's key when one is given, and counts as sent only
once the commune has answered with its receipt: a dropped connection leaves every change
waiting for the next push (the commune takes a batch it already has as duplicates).
"""
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from fieldapp.forms.errors import FieldappError, Invalid
from sync import crypto
from sync.batch import batch_bytes, gzip_bytes
from sync.export import export_batch, mark_exported

__all__ = ["PUSH_PATH", "ROLLUP_PATH", "PushFailed", "endpoint", "push_changes", "saved_push",
           "post_body"]

PUSH_PATH = "/api/v1/batches"
ROLLUP_PATH = "/api/v1/rollups"

_sending = threading.Lock()          # one push at a time from this laptop


class PushFailed(FieldappError):
    """The commune could not be reached or refused the batch; nothing counts as sent.

    `problem` is the commune's problem code when it gave one (e.g. "encrypted")."""
    status, code = 502, "push_failed"

    def __init__(self, message, problem=None):
        super().__init__(message, {"problem": problem} if problem else None)
        self.problem = problem


def endpoint(url, api_path=PUSH_PATH):
    """The batches endpoint of a commune address (`api_path` ROLLUP_PATH: the roll-ups
    endpoint of a province address) given with or without its path; raise Invalid for
    anything but an http(s) address that could be sent to, without a user or password."""
    text = str(url).strip()
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port                      # a port that is no number raises ValueError
    except ValueError:
        parts = None
    # printable ASCII only, no user:password@: what urllib could send to, nothing secret
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or not re.fullmatch(r"[!-~]+", text) or "@" in parts.netloc):
        where = "máy-của-tỉnh" if api_path == ROLLUP_PATH else "máy-của-xã"
        raise Invalid(f"Cần địa chỉ dạng http://{where}:8080.")
    path = parts.path.rstrip("/")
    if not path.endswith(api_path):
        path += api_path
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def saved_push(settings):
    """(url, token) this laptop pushes to, from its settings, or None when not set."""
    push = settings.get("push")
    if not isinstance(push, dict):
        return None
    url, token = push.get("url"), push.get("token")
    if isinstance(url, str) and isinstance(token, str) and url and token:
        return url, token
    return None


def _refusal(error, who="máy của xã"):
    """(message, problem code or None) of the JSON error answer of `who`."""
    try:
        body = json.loads(error.read(65536))["error"]
        message, details = str(body["message"]), body.get("details")
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{who} trả lời lỗi HTTP {error.code}", None
    return message, details.get("problem") if isinstance(details, dict) else None


def push_changes(site, url, token, to_key=None, all_versions=False, village_id=None,
                 timeout=120):
    """Send the changes not yet sent (or everything) of one village or the whole site;
    return (the commune's answer, the batch sent) once it has taken them.

    Raise PushFailed when the commune is unreachable or refuses (nothing counts as sent),
    or FieldappError when another push from this laptop is still under way.
    """
    target = endpoint(url)
    if not _sending.acquire(blocking=False):
        raise PushFailed("Máy này đang gửi một lô khác; chờ vài giây rồi thử lại.")
    try:
        batch = export_batch(site, all_versions=all_versions, remember=False,
                             village_id=village_id)
        answer = post_body(target, gzip_bytes(batch_bytes(batch)), token, to_key, timeout)
        mark_exported(site, batch, destination=target)
        return answer, batch
    finally:
        _sending.release()


def post_body(target, body, token, to_key=None, timeout=120, who="máy của xã",
              refused="Máy của xã từ chối lô"):
    """POST gzip JSON `body` (sealed for `to_key` when given) to the endpoint `target`
    with a bearer token; return its JSON answer (a dict). Raise PushFailed (`refused`:
    what the message says first; `who`: the machine that answers) when it is
    unreachable or refuses."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
               "Authorization": f"Bearer {token}"}
    if to_key is not None:
        body = crypto.seal(body, to_key)
        headers = {"Content-Type": "application/octet-stream",
                   "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(target, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read(1 << 20))
    except urllib.error.HTTPError as error:
        message, problem = _refusal(error, who)
        raise PushFailed(f"{refused}: {message}", problem) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise PushFailed(f"Không kết nối được tới {target}: {reason}. "
                         "Dữ liệu vẫn còn trên máy; hãy thử lại sau.") from None
    return answer if isinstance(answer, dict) else {}
