"""Talking to central over HTTP (docs/sync.md), trusting nothing it answers.

Every call checks the answer's status, content type, JSON and the shape and
range of each value before handing it back. Anything else (an HTML error page
from a proxy, a body cut off mid-way, a 500, a timeout, a cursor that cannot
be right) raises a :class:`CentralError`, and the caller leaves its cursors
where they were. No Flask; runs in the sync process.
"""
from __future__ import annotations

import gzip
import json
import logging

import requests

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0  # a batch of 1,000 into a busy PostgreSQL may take a while
PROBLEM = "application/problem+json"


class CentralError(Exception):
    """Central could not be reached or gave an answer we cannot use; retry later."""

    retry = True


class Unreachable(CentralError):
    """No answer: connection refused or reset, timeout, DNS."""


class BadAnswer(CentralError):
    """An answer that is not what the protocol promises (HTML, cut-off JSON, wrong values)."""


class ServerError(CentralError):
    """Central answered 5xx."""


class Refused(CentralError):
    """Central refused the request (4xx): a wrong token, a conflict. An operator must look."""

    def __init__(self, status: int, problem: dict | None, text: str):
        self.status = status
        self.problem = problem or {}
        title = self.problem.get("title") or "refused"
        detail = self.problem.get("detail") or text[:200]
        super().__init__(f"central answered {status} {title}: {detail}")


class WrongToken(CentralError):
    """The token belongs to another warehouse than this edge's site id."""


class Gap(CentralError):
    """Central lacks movements before the batch: resend from ``cursor`` + 1."""

    def __init__(self, cursor: int, detail: str):
        self.cursor = cursor
        super().__init__(f"central holds up to seq {cursor} only ({detail}); resending from there")


class CursorAhead(CentralError):
    """Central never handed out this change cursor (it was restored from an older
    backup): the edge must read the change feed again from 0, which is safe
    because applying changes is idempotent (docs/sync-edge.md)."""

    def __init__(self, cursor: int, detail: str):
        self.cursor = cursor
        super().__init__(detail)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class CentralClient:
    def __init__(self, url: str, token: str, *, timeout: tuple[float, float] | None = None,
                 session: requests.Session | None = None):
        self.base = url.rstrip("/")
        if not self.base.endswith("/api/v1"):
            self.base += "/api/v1"
        self.url = url
        self.timeout = timeout or (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                     "User-Agent": "floorscan-sync"})

    def close(self) -> None:
        self.session.close()

    # -- transport ---------------------------------------------------------------------

    def _call(self, method: str, path: str, *, body: bytes | None = None, gzipped: bool = False,
              params: dict | None = None) -> tuple[int, dict | None, str]:
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
            if gzipped:
                headers["Content-Encoding"] = "gzip"
        try:
            resp = self.session.request(method, self.base + path, data=body, params=params, headers=headers,
                                        timeout=self.timeout)
            text = resp.text  # reads the whole body: a cut-off one raises here
        except requests.RequestException as exc:
            raise Unreachable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        parsed = None
        if ctype in ("application/json", PROBLEM):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        if resp.status_code >= 500:
            raise ServerError(f"{method} {path}: central answered {resp.status_code}")
        if resp.status_code >= 400:
            return resp.status_code, parsed if isinstance(parsed, dict) else None, text
        if ctype != "application/json":
            raise BadAnswer(f"{method} {path}: answer is {ctype or 'untyped'}, not JSON: {text[:80]!r}")
        if not isinstance(parsed, dict):
            raise BadAnswer(f"{method} {path}: answer is not a JSON object (cut off?): {text[:80]!r}")
        return resp.status_code, parsed, text

    # -- the protocol --------------------------------------------------------------------

    def cursor(self, warehouse: str) -> int:
        status, body, text = self._call("GET", "/sync/cursor")
        if status != 200:
            raise Refused(status, body, text)
        if body.get("warehouse") not in (None, warehouse):
            # Central knows this token as another warehouse's: send nothing under it.
            raise WrongToken(f"this edge is warehouse {warehouse} but its token is warehouse "
                             f"{body.get('warehouse')}'s at central; give it {warehouse}'s token (docs/sync-edge.md)")
        value = body.get("cursor")
        if not _is_int(value) or value < 0:
            raise BadAnswer(f"central's cursor {value!r} is not a whole number >= 0")
        return value

    def post_movements(self, warehouse: str, payload: bytes, first: int, last: int) -> int:
        """Send a prepared batch (``payload``: gzipped JSON of seqs first..last); the new cursor.

        A 200 must say central now holds at least up to ``last``: anything
        else contradicts the protocol and is not stored.
        """
        status, body, text = self._call("POST", "/sync/movements", body=payload, gzipped=True)
        if status == 409 and body is not None and _problem_kind(body) == "gap":
            cursor = body.get("cursor")
            if not _is_int(cursor) or cursor < 0 or cursor >= last:
                raise BadAnswer(f"a gap answer with cursor {cursor!r} for seqs {first}..{last} makes no sense")
            raise Gap(cursor, body.get("detail") or "gap")
        if status != 200:
            raise Refused(status, body, text)
        cursor = body.get("cursor")
        if not _is_int(cursor) or cursor < last:
            raise BadAnswer(f"central accepted seqs {first}..{last} but answered cursor {cursor!r}")
        if body.get("warehouse") not in (None, warehouse):
            raise BadAnswer(f"central answered for warehouse {body.get('warehouse')!r}, not {warehouse!r}")
        return cursor

    def post_documents(self, warehouse: str, documents: list[dict]) -> set[str]:
        """Send outbox documents; the keys central accepted or already had."""
        raw = json.dumps({"warehouse": warehouse, "documents": documents}, separators=(",", ":")).encode()
        status, body, text = self._call("POST", "/sync/documents", body=gzip.compress(raw, 1), gzipped=True)
        if status != 200:
            raise Refused(status, body, text)
        keys = set()
        for name in ("accepted", "duplicates"):
            value = body.get(name, [])
            if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                raise BadAnswer(f"central's {name} is not a list of keys: {value!r}"[:200])
            keys.update(value)
        sent = {d["key"] for d in documents}
        if keys != sent:
            raise BadAnswer(f"central acknowledged {sorted(keys)[:5]} for documents {sorted(sent)[:5]}")
        return keys

    def changes(self, after: int, limit: int) -> dict:
        """One page of down changes after ``after``, checked; see :func:`check_page`."""
        status, body, text = self._call("GET", "/sync/changes", params={"after": after, "limit": limit})
        if status == 409 and body is not None and _problem_kind(body) == "cursor-ahead":
            held = body.get("cursor")
            if not _is_int(held) or held < 0 or held >= after:
                raise BadAnswer(f"a cursor-ahead answer with cursor {held!r} after {after} makes no sense")
            raise CursorAhead(held, body.get("detail") or "cursor ahead of central")
        if status != 200:
            raise Refused(status, body, text)
        return check_page(body, after)


KINDS = ("item", "barcode", "bin", "purchase_order", "asn", "sales_order", "transfer", "transfer_order",
         "transfer_receipt")


def check_page(body: dict, after: int) -> dict:
    """A page of changes whose every cursor is a whole number past ``after``, in order."""
    changes, cursor, more = body.get("changes"), body.get("cursor"), body.get("more", False)
    if not isinstance(changes, list):
        raise BadAnswer("the changes page has no list of changes")
    if not isinstance(more, bool):
        raise BadAnswer(f"'more' is {more!r}, not true or false")
    previous = after
    for i, ch in enumerate(changes):
        if not isinstance(ch, dict):
            raise BadAnswer(f"change {i} is not an object")
        c = ch.get("cursor")
        if not _is_int(c) or c <= previous:
            raise BadAnswer(f"change {i} has cursor {c!r} after {previous}: cursors must increase")
        previous = c
        if not isinstance(ch.get("kind"), str) or not isinstance(ch.get("key"), str) or not ch["key"]:
            raise BadAnswer(f"change {i} lacks a kind or key")
        if ch.get("op") not in ("upsert", "delete"):
            raise BadAnswer(f"change {i} has op {ch.get('op')!r}")
        if ch["op"] == "upsert" and not isinstance(ch.get("data"), dict):
            raise BadAnswer(f"change {i} is an upsert without data")
    if not _is_int(cursor) or cursor < previous or (changes and cursor <= after) or cursor < after:
        raise BadAnswer(f"the page's cursor {cursor!r} does not follow its changes (after {after})")
    return {"changes": changes, "cursor": cursor, "more": more}


def _problem_kind(body: dict) -> str:
    """The last path segment of a problem's type: .../problems/gap -> gap."""
    kind = str(body.get("type") or "")
    return kind.rstrip("/").rsplit("/", 1)[-1]
