"""A supervisor's approval for a receipt that goes beyond the site's tolerance. No Flask.

The receiver's handheld carries the approval inside the command: the
supervisor, standing at the dock, types their PIN or scans their badge on it.
The edge checks it here, never trusting the device's word, and records who
approved what. A supervisor sending the command themselves approves with an
empty ``override: {}``.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Optional

from pydantic import Field

from edge.auth import hash_badge, hash_pin, site_salt
from edge.ledger import utcnow
from edge.models import Strict
from edge.workflows.receiving_errors import SupervisorRequired, TooManyOverrideAttempts

APPROVERS = ("supervisor", "admin")
# A PIN check inside a command is not behind the sign-in rate limit, and a
# refused command rolls back anything it wrote, so wrong attempts are counted
# here, per user, in memory: enough to stop guessing supervisor PINs.
MAX_FAILURES = 5
WINDOW_S = 60.0
_failures: dict[int | None, deque] = defaultdict(deque)
_lock = threading.Lock()


class Override(Strict):
    """A supervisor's approval, given on the receiver's device."""

    pin: Optional[str] = Field(None, pattern=r"^[0-9]{4,12}$", description="The approving supervisor's PIN")
    badge: Optional[str] = Field(None, min_length=4, max_length=128, description="Or their badge, scanned")


def _recent_failures(user_id) -> int:
    cutoff = time.monotonic() - WINDOW_S
    with _lock:
        seen = _failures[user_id]
        while seen and seen[0] < cutoff:
            seen.popleft()
        return len(seen)


def _fail(user_id, detail: str) -> SupervisorRequired:
    with _lock:
        _failures[user_id].append(time.monotonic())
    return SupervisorRequired(detail, field="override")


def approver(conn, ctx, override: Override | None, what: str) -> dict:
    """The supervisor or admin who approves ``what``, or SupervisorRequired."""
    if override is None:
        raise SupervisorRequired(f"{what}; a supervisor must approve: enter their PIN or scan their badge "
                                 "(override)", field="override")
    if override.pin is None and override.badge is None:
        if ctx.role in APPROVERS:
            return {"id": ctx.user_id, "role": ctx.role}
        raise SupervisorRequired(f"{what}; a {ctx.role} cannot approve it: a supervisor's PIN or badge is needed",
                                 field="override")
    if _recent_failures(ctx.user_id) >= MAX_FAILURES:
        raise TooManyOverrideAttempts("too many wrong supervisor PINs or badges; wait a minute and try again",
                                      field="override")
    salt = site_salt(conn)
    if override.pin is not None:
        row = conn.execute("SELECT id, name, role FROM user WHERE pin_hash = ? AND active",
                           (hash_pin(override.pin, salt),)).fetchone()
    else:
        row = conn.execute("SELECT id, name, role FROM user WHERE badge_hash = ? AND active",
                           (hash_badge(override.badge, salt),)).fetchone()
    if row is None or row["role"] not in APPROVERS:
        raise _fail(ctx.user_id, f"{what}; that PIN or badge is not an active supervisor's")
    return dict(row)


def record(conn, *, receipt_id: str, command_id: str, kind: str, sku: str, expected: float, received: float,
           tolerance_pct: float, requested_by: int | None, approved_by: int) -> None:
    conn.execute(
        "INSERT INTO receipt_approval (receipt_id, command_id, kind, sku, expected, received, tolerance_pct, "
        "requested_by, approved_by, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (receipt_id, command_id, kind, sku, expected, received, tolerance_pct, requested_by, approved_by, utcnow()))


def approvals(conn, receipt_id: str) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT a.kind, a.sku, a.expected, a.received, a.tolerance_pct, a.requested_by, a.approved_by, "
        "u.name AS approved_by_name, a.command_id, a.at FROM receipt_approval a LEFT JOIN user u "
        "ON u.id = a.approved_by WHERE a.receipt_id = ? ORDER BY a.id", (receipt_id,))]
