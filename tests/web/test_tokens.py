"""API tokens: the table holds only tokens that still work, so meta.json does not grow
with every sign-in."""
import json
import os

from fieldapp import create_app
from fieldapp.auth import accounts as auth
from fieldapp.auth.accounts import get_user
from tests.support.factories import VOL_PIN


def _tokens(site):
    with site.meta_lock:
        return site.table("tokens").all()


def test_signing_in_and_out_again_and_again_keeps_one_token(client, site):
    for _ in range(4):
        answer = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN})
        token = answer.json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/logout", headers=headers).status_code == 200
    assert len(_tokens(site)) == 1 and _tokens(site)[0]["revoked"]
    with open(os.path.join(site.data_dir, "meta.json"), encoding="utf-8") as handle:
        assert len(json.load(handle)["tokens"]) == 1


def test_expired_and_revoked_tokens_are_dropped_when_a_token_is_issued(site):
    user = get_user(site, "minh")
    auth.issue_token(site, user, days=-1)
    auth.revoke_token(site, auth.issue_token(site, user))
    kept, fresh = auth.issue_token(site, user, days=None), auth.issue_token(site, user)
    assert len(_tokens(site)) == 2
    assert auth.user_for_token(site, kept)["username"] == "minh"
    assert auth.user_for_token(site, fresh)["username"] == "minh"


def test_starting_the_app_drops_expired_and_revoked_tokens(site):
    user = get_user(site, "minh")
    kept = auth.issue_token(site, user)
    auth.revoke_token(site, auth.issue_token(site, user))
    auth.issue_token(site, user, days=-1)                 # dropped at the next start
    assert len(_tokens(site)) == 2
    create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    assert len(_tokens(site)) == 1
    assert auth.user_for_token(site, kept)["username"] == "minh"
