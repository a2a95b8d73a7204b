"""A commune's roll-up sent to the province over HTTP (SPEC §7a): the client side of
`POST /api/v1/rollups`, used by `fieldapp push` on a commune site and the "Gửi lên tỉnh"
button of /commune/rollup. The address and token are saved as a village saves its
commune's (settings `push`, sync.push.saved_push); the roll-up is sealed for the
province's key (`fieldapp province-key KEY`) when the commune has stored it.

A roll-up is always whole, so nothing needs marking as sent: a push lost on the way is
simply made again, and the province takes the same roll-up twice as "same".
"""
from fieldapp.province.rollup import make_rollup
from sync.batch import gzip_bytes
from sync.push import ROLLUP_PATH, endpoint, post_body
from sync.rollup import rollup_bytes

__all__ = ["push_rollup", "province_endpoint"]


def province_endpoint(url):
    """The roll-ups endpoint of a province address; raise Invalid for a bad address."""
    return endpoint(url, ROLLUP_PATH)


def push_rollup(site, url, token, to_key=None, as_of=None, timeout=120):
    """Make the commune's roll-up as of `as_of` (default today) and send it, sealed for
    `to_key` when given; return (the province's answer, the roll-up sent). Raise
    sync.push.PushFailed when the province is unreachable or refuses."""
    target = province_endpoint(url)
    made = make_rollup(site, as_of)
    answer = post_body(target, gzip_bytes(rollup_bytes(made)), token, to_key, timeout,
                       who="máy của tỉnh", refused="Máy của tỉnh từ chối số liệu")
    return answer, made
