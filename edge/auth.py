"""Users, PINs, badges and bearer tokens. Imports no Flask.

PINs are short, so a user signs in with the PIN alone and we must find the
user by it: PIN hashes are deterministic per site (PBKDF2 with a site-wide
random salt) and unique. Tokens are random and stored only as SHA-256.
Brute force is held off by the sign-in rate limit, not by hash cost alone.
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from edge import row_cache
from edge.ledger.post import utcnow
from edge.models import UserIn

PIN_ITERATIONS = 60_000
MAX_FAILURES = 5
FAILURE_WINDOW_S = 60.0

ROLE_ORDER = {"picker": 0, "receiver": 0, "counter": 0, "supervisor": 1, "admin": 2}


class AuthError(Exception):
    """Base for sign-in and permission errors."""


class DuplicateCredential(AuthError):
    """Another user already has this name, PIN or badge."""


class TooManyAttempts(AuthError):
    """Too many failed sign-ins from this client; wait before trying again."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


def site_salt(conn: sqlite3.Connection) -> bytes:
    row = conn.execute("SELECT value FROM meta WHERE key = 'pin_salt'").fetchone()
    if row is None:
        raise RuntimeError("database not initialised: no pin_salt (run floorscan init)")
    return bytes.fromhex(row["value"])


def ensure_site_salt(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('pin_salt', ?)", (secrets.token_hex(16),))


def hash_pin(pin: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS).hex()


def hash_badge(badge: str, salt: bytes) -> str:
    return hashlib.sha256(salt + b"badge:" + badge.strip().encode()).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(conn: sqlite3.Connection, user: UserIn) -> dict:
    """Insert a user (inside the caller's write transaction)."""
    salt = site_salt(conn)
    pin_hash = hash_pin(user.pin, salt) if user.pin else None
    badge_hash = hash_badge(user.badge, salt) if user.badge else None
    if not pin_hash and not badge_hash:
        raise DuplicateCredential("a user needs a PIN, a badge or both to sign in")
    clashes = conn.execute(
        "SELECT name, pin_hash = ? AS pin, badge_hash = ? AS badge, name = ? AS same_name FROM user "
        "WHERE name = ? OR pin_hash = ? OR badge_hash = ?",
        (pin_hash, badge_hash, user.name, user.name, pin_hash, badge_hash)).fetchall()
    for row in clashes:
        if row["same_name"]:
            raise DuplicateCredential(f"a user named {user.name!r} already exists")
        if row["pin"]:
            raise DuplicateCredential("that PIN is already taken; choose another")
        if row["badge"]:
            raise DuplicateCredential("that badge is already assigned to another user")
    cur = conn.execute(
        "INSERT INTO user (name, role, pin_hash, badge_hash, created_at) VALUES (?,?,?,?,?)",
        (user.name, user.role, pin_hash, badge_hash, utcnow()))
    return {"id": cur.lastrowid, "name": user.name, "role": user.role}


@dataclass
class SignIn:
    user: dict | None = None
    token: str | None = None
    expires_at: str | None = None
    retry_after: int | None = None


def credential(conn: sqlite3.Connection, *, pin: str | None, badge: str | None) -> tuple[str, str]:
    """("pin_hash" | "badge_hash", hash) for a sign-in, computed on a reader.

    PBKDF2 takes ~30 ms by design; done inside the writer it would stall every
    handheld's commit behind one sign-in.
    """
    salt = site_salt(conn)
    return ("pin_hash", hash_pin(pin, salt)) if pin else ("badge_hash", hash_badge(badge or "", salt))


def sign_in(conn: sqlite3.Connection, *, credential: tuple[str, str], client: str,
            device_id: str | None, ttl_hours: float) -> SignIn:
    """Check a hashed PIN or badge (see credential()) and open a session (inside the writer).

    Returns instead of raising on failure so the failure record commits.
    """
    now = time.time()
    conn.execute("DELETE FROM signin_failure WHERE at < ?", (now - FAILURE_WINDOW_S,))
    failures = conn.execute("SELECT count(*), min(at) FROM signin_failure WHERE client = ?", (client,)).fetchone()
    if failures[0] >= MAX_FAILURES:
        return SignIn(retry_after=max(1, int(failures[1] + FAILURE_WINDOW_S - now) + 1))
    column, digest = credential
    if column not in ("pin_hash", "badge_hash"):
        raise ValueError(f"not a credential column: {column!r}")
    row = conn.execute(f"SELECT id, name, role FROM user WHERE {column} = ? AND active", (digest,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO signin_failure (client, at) VALUES (?, ?)", (client, now))
        return SignIn()
    token = secrets.token_urlsafe(32)
    created = datetime.now(timezone.utc)
    expires = created + timedelta(hours=ttl_hours)
    iso = lambda d: d.isoformat(timespec="seconds").replace("+00:00", "Z")  # noqa: E731
    conn.execute(
        "INSERT INTO session (token_hash, user_id, device_id, created_at, expires_at) VALUES (?,?,?,?,?)",
        (hash_token(token), row["id"], device_id, iso(created), iso(expires)))
    if device_id:
        conn.execute(
            "INSERT INTO device (id, first_seen_at, last_seen_at, last_user_id) VALUES (?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
            "last_user_id = excluded.last_user_id",
            (device_id, iso(created), iso(created), row["id"]))
    # Failures are not cleared by a success: a PIN alone names no user, so anyone
    # holding one good PIN or badge could otherwise reset the count between guesses
    # and try every PIN. They age out after FAILURE_WINDOW_S instead.
    return SignIn(user=dict(row), token=token, expires_at=iso(expires))


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme in any
    case), or None when there is none."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(conn: sqlite3.Connection, token: str) -> dict | None:
    """The user and device behind a bearer token, or None if unknown, expired or revoked."""
    digest = hash_token(token)
    # Kept by the writer process's connection (edge/row_cache.py says why it is never stale).
    row = row_cache.fetch(
        conn, "session", digest,
        "SELECT u.id, u.name, u.role, s.device_id, s.expires_at FROM session s JOIN user u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND u.active", (digest,))
    if row is None:
        return None
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    if row["expires_at"] <= now:
        return None
    return dict(row)


def revoke(conn: sqlite3.Connection, token: str) -> bool:
    cur = conn.execute("UPDATE session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                       (utcnow(), hash_token(token)))
    return cur.rowcount > 0
