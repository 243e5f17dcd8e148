"""Sign in with a PIN or badge, sign out, who am I."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from edge import auth, realtime
from edge.api.common import edge, read
from edge.api.errors import ApiProblem
from edge.api.spec import endpoint
from edge.models import SessionIn, SessionOut, UserOut

bp = Blueprint("session", __name__, url_prefix="/api/v1")


@endpoint(bp, "/session", method="POST", roles=None, body=SessionIn, response=SessionOut, status=201,
          tags=("auth",), extra_responses={429: "too many failed sign-ins from this client"})
def sign_in(body: SessionIn):
    """Sign in with a PIN or by scanning a badge; returns a bearer token."""
    if bool(body.pin) == bool(body.badge):
        raise ApiProblem(422, "send either pin or badge", errors=[{"field": "pin", "message": "send pin or badge"}])
    ttl = float(current_app.config["TOKEN_TTL_HOURS"])
    client = request.remote_addr or "unknown"  # read here: the writer thread has no request
    credential = auth.credential(read(), pin=body.pin, badge=body.badge)
    result = edge().write(lambda conn: auth.sign_in(conn, credential=credential, client=client,
                                                    device_id=body.device_id, ttl_hours=ttl))
    if result.retry_after:
        raise auth.TooManyAttempts(result.retry_after)
    if result.user is None:
        raise ApiProblem(401, "wrong PIN or unknown badge")
    return jsonify({"token": result.token, "user": result.user, "expires_at": result.expires_at}), 201


@endpoint(bp, "/session", method="DELETE", status=204, tags=("auth",))
def sign_out():
    """Sign out: the token stops working at once."""
    token = auth.bearer_token(request.headers.get("Authorization"))  # the endpoint checked it
    edge().write(lambda conn: auth.revoke(conn, token))
    realtime.close_token(token)
    return "", 204


@endpoint(bp, "/me", response=UserOut, tags=("auth",))
def me():
    """The signed-in user."""
    return jsonify({k: g.user[k] for k in ("id", "name", "role")})
