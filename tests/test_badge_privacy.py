"""A badge signs in, so scanning must not tell who may not know which codes are badges.

Before: any signed-in user could POST /api/v1/scan code after code and be told
{"kind": "badge", "user": {... "role": "admin"}} on a hit, then sign in with that
badge on the first try, past the sign-in rate limit.
"""
from __future__ import annotations

import pytest

from _decode_support import encode, label
from test_decode_api import photo, post_image
from test_wf_receiving_helpers import applied, refused, send, site  # noqa: F401  (site is a fixture)

FLOOR_ROLES = ("picker", "receiver", "counter")


def scan(client, headers, code):
    r = client.post("/api/v1/scan", json={"code": code}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.mark.parametrize("role", FLOOR_ROLES)
def test_another_users_badge_is_not_a_badge_to_the_floor(client, auth_for, role):
    answer = scan(client, auth_for(role), "BADGE-admin")
    assert answer["kind"] == "unknown"
    assert "user" not in answer and answer["raw"] == "BADGE-admin"


@pytest.mark.parametrize("role", FLOOR_ROLES)
def test_your_own_badge_is_yours(client, auth_for, role):
    answer = scan(client, auth_for(role), f"BADGE-{role}")
    assert answer["kind"] == "badge"
    assert answer["user"]["role"] == role


@pytest.mark.parametrize("role", ("supervisor", "admin"))
def test_supervisors_and_admins_see_every_badge(client, auth_for, role):
    answer = scan(client, auth_for(role), "BADGE-picker")
    assert answer["kind"] == "badge"
    assert (answer["user"]["name"], answer["user"]["role"]) == ("Picker", "picker")


def test_a_photo_of_a_badge_follows_the_same_rule(client, auth_for):
    image = encode(photo(label("code128", "BADGE-admin")), ".png")
    seen = {}
    for role in ("picker", "supervisor"):
        r = post_image(client, auth_for(role), image, "image/png")
        assert r.status_code == 200, r.get_json()
        [code] = r.get_json()["codes"]
        seen[role] = code["scan"]
    assert seen["picker"]["kind"] == "unknown" and "user" not in seen["picker"]
    assert seen["supervisor"]["kind"] == "badge" and seen["supervisor"]["user"]["role"] == "admin"


def test_a_receipt_command_does_not_tell_a_badge_from_an_unknown_code(client, auth_for, site):
    rec = auth_for("receiver")
    rid = applied(send(client, rec, "receipt.open", {"dock_bin": "DOCK-2"}))["id"]
    details = {}
    for code in ("BADGE-admin", "NOT-A-CODE1"):
        line = refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": code}), 422,
                       "is not an item barcode here", "barcode")
        pallet = refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": code}), 422,
                         "is not a pallet label (SSCC): it reads as unknown", "sscc")
        details[code] = (line["detail"].replace(code, "?"), pallet["detail"].replace(code, "?"))
    assert details["BADGE-admin"] == details["NOT-A-CODE1"]
