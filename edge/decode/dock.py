"""What a camera station does with its reads, through the edge's public API.

An SSCC that an open ASN lists is received with `receipt.pallet` on the open
receipt of that ASN at the station's dock bin (opened with `receipt.open` if
there is none). The command id is derived from station, receipt and SSCC, so
the same pallet seen again, or a command resent after a lost answer, is a
`duplicate` on the edge and changes stock once. Every read, pallet or not, is
logged as a station read with its outcome; reads and health reports queue in
memory (bounded) while the edge is unreachable and go out when it is back.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque

import requests

from edge.decode.station import Read, now_iso
from edge.ids import new_id

log = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("5f0c8a3e-2b1d-4c7e-9a55-6d1f0e2b7c41")   # floorscan camera commands


class EdgeUnreachable(Exception):
    """The edge did not answer (network down, server restarting)."""


class Refused(Exception):
    """The edge answered no to a step before the pallet itself (e.g. opening the receipt)."""

    outcome = "refused"


class AlreadyReceived(Refused):
    """The pallet is on the books already and no receipt is open for it here."""

    outcome = "already_received"


class EdgeClient:
    """requests against /api/v1 with a bearer token; signs in again with the PIN when the token expires."""

    def __init__(self, url: str, *, token: str | None = None, pin: str | None = None, device_id: str = "camera",
                 timeout: float = 10.0):
        self.base = url.rstrip("/") + "/api/v1"
        self.pin, self.device_id, self.timeout = pin, device_id, timeout
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        elif pin:
            self.sign_in()
        else:
            raise ValueError("give the station a token or a PIN to sign in with")

    def sign_in(self) -> None:
        r = self._send("POST", "/session", json={"pin": self.pin, "device_id": self.device_id}, retry_auth=False)
        if r.status_code != 201:
            raise PermissionError(f"sign-in refused: {_detail(r)}")
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return self._send(method, path, **kw)

    def _send(self, method, path, retry_auth: bool = True, **kw) -> requests.Response:
        try:
            r = self.http.request(method, self.base + path, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise EdgeUnreachable(str(exc)) from None
        if r.status_code in (502, 503, 504):
            raise EdgeUnreachable(f"HTTP {r.status_code}")
        if r.status_code == 401 and retry_auth and self.pin:
            self.sign_in()
            return self._send(method, path, retry_auth=False, **kw)
        return r


def _detail(r: requests.Response) -> str:
    try:
        return r.json().get("detail") or r.reason
    except ValueError:
        return f"HTTP {r.status_code}"


class Dock:
    """on_read for Station: pallets received, everything logged; flush() sends the log."""

    def __init__(self, client: EdgeClient, station: str, dock_bin: str, *, keep: int = 5000):
        self.client, self.station, self.dock_bin = client, station, dock_bin
        self.outbox: deque[dict] = deque(maxlen=keep)   # reads not yet on the edge
        self.pending: deque[Read] = deque(maxlen=keep)  # pallets to receive once the edge answers
        self.lock = threading.Lock()
        # One pallet at a time: the decode loop and the report thread's retries
        # must not both open a receipt for the same ASN.
        self.receiving = threading.Lock()

    # -- reads ----------------------------------------------------------------------------

    def on_read(self, read: Read) -> None:
        if read.sscc:
            try:
                outcome = self.receive(read)
            except EdgeUnreachable as exc:
                self.pending.append(read)
                outcome = {"outcome": "pending", "detail": f"edge unreachable ({exc}); will retry"}
            except Refused as exc:
                outcome = {"outcome": exc.outcome, "detail": str(exc)}
        else:
            outcome = {"outcome": "logged", **self._what_is(read)}
        self._log(read, outcome)

    def _what_is(self, read: Read) -> dict:
        """The edge's interpretation (it knows the catalog); the station's own if the edge is away."""
        try:
            r = self.client.call("POST", "/scan", json={"code": read.code.scan})
        except EdgeUnreachable:
            r = None
        scan = r.json() if r is not None and r.status_code == 200 else read.scan
        what = scan.get("sku") or (scan.get("bin") or {}).get("code") or (scan.get("document") or {}).get("id")
        return {"kind": scan.get("kind"), "detail": scan.get("error") or (f"{scan.get('kind')} {what}" if what else None)}

    def _log(self, read: Read, outcome: dict) -> None:
        entry = {"id": read.id if outcome["outcome"] != "pending" else new_id(), "code": read.code.scan,
                 "symbology": read.code.symbology, "kind": outcome.pop("kind", None) or read.scan.get("kind"),
                 "sscc": read.sscc,
                 "at": read.at, **{k: v for k, v in outcome.items() if v is not None}}
        if entry.get("detail"):
            entry["detail"] = str(entry["detail"])[:1000]
        with self.lock:
            self.outbox.append(entry)
        log.info("%s read %s: %s %s", self.station, read.code.scan, outcome["outcome"], outcome.get("detail") or "")

    def receive(self, read: Read) -> dict:
        with self.receiving:
            return self._receive(read)

    def _receive(self, read: Read) -> dict:
        sscc = read.sscc
        pallet = self._pallet(sscc)
        if pallet is None:
            return {"outcome": "not_on_asn", "detail": f"no ASN lists pallet {sscc}; receive its cartons one by one"}
        asn = pallet["asn_id"]
        receipt = self._receipt_for(pallet)
        cid = str(uuid.uuid5(NAMESPACE, f"{self.station}/{receipt}/{sscc}"))
        result = self._command(cid, "receipt.pallet", {"receipt_id": receipt, "sscc": sscc})
        base = {"command_id": cid, "receipt_id": receipt}
        if result["status"] in ("applied", "duplicate"):
            return {**base, "outcome": "received", "detail": f"pallet {sscc} of {asn} received at {self.dock_bin}"
                    + (" (already sent)" if result["status"] == "duplicate" else "")}
        problem = result.get("problem") or {}
        kind = {"pallet-already-received": "already_received", "unknown-pallet": "not_on_asn"}.get(
            problem.get("type", "").rsplit("/", 1)[-1], "refused")
        if kind == "refused" and "was received" in problem.get("detail", ""):
            kind = "already_received"
        return {**base, "outcome": kind, "detail": problem.get("detail") or problem.get("title")}

    def retry_pending(self) -> None:
        for _ in range(len(self.pending)):
            read = self.pending.popleft()
            try:
                outcome = self.receive(read)
            except EdgeUnreachable:
                self.pending.appendleft(read)
                return
            except Refused as exc:
                outcome = {"outcome": exc.outcome, "detail": str(exc)}
            self._log(read, outcome)

    # -- the edge's documents ---------------------------------------------------------------

    def _pallet(self, sscc: str) -> dict | None:
        r = self.client.call("GET", f"/camera/pallets/{sscc}")
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise Refused(f"cannot look pallet {sscc} up: {_detail(r)}")
        return r.json()

    def _receipt_for(self, pallet: dict) -> str:
        asn = pallet["asn_id"]
        r = self.client.call("GET", "/receipts", params={"status": "open", "dock_bin": self.dock_bin, "limit": 1000})
        if r.status_code == 200:
            for receipt in r.json()["items"]:
                if receipt["asn_id"] == asn:
                    return receipt["id"]
        # A pallet driven past the camera again after its receipt was closed must
        # not leave an empty receipt behind.
        if pallet["status"] == "received":
            raise AlreadyReceived(f"pallet {pallet['sscc']} was received on receipt {pallet['receipt_id']} at "
                                  f"{pallet['received_at']}")
        cid = new_id()
        result = self._command(cid, "receipt.open", {"dock_bin": self.dock_bin, "document": asn,
                                                     "note": f"opened by camera station {self.station}"})
        if result["status"] not in ("applied", "duplicate"):
            raise Refused(f"cannot open a receipt for {asn} at {self.dock_bin}: "
                          f"{(result.get('problem') or {}).get('detail')}")
        return cid

    def _command(self, cid: str, ctype: str, payload: dict) -> dict:
        body = {"commands": [{"id": cid, "type": ctype, "at": now_iso(), "replay": False, "payload": payload}]}
        for attempt in range(3):   # same id each time: the edge applies it once
            try:
                r = self.client.call("POST", "/commands", json=body)
                break
            except EdgeUnreachable:
                if attempt == 2:
                    raise
                time.sleep(0.5 * (attempt + 1))
        if r.status_code != 200:
            return {"status": "rejected", "problem": {"detail": _detail(r), "status": r.status_code}}
        return r.json()["results"][0]

    # -- reports ---------------------------------------------------------------------------

    def flush(self, status: dict) -> bool:
        """Send queued reads and the health report; False when the edge could not be reached."""
        try:
            self.retry_pending()
            with self.lock:
                batch = list(self.outbox)[:500]
            if batch:
                r = self.client.call("POST", f"/camera/stations/{self.station}/reads", json={"reads": batch})
                if r.status_code == 201:
                    with self.lock:
                        for _ in batch:
                            self.outbox.popleft()
                else:
                    log.warning("station reads refused: %s", _detail(r))
                    with self.lock:   # a read the edge refuses will not get better by resending
                        for _ in batch:
                            self.outbox.popleft()
            r = self.client.call("PUT", f"/camera/stations/{self.station}", json={**status, "dock_bin": self.dock_bin})
            if r.status_code != 200:
                log.warning("station report refused: %s", _detail(r))
            return True
        except EdgeUnreachable as exc:
            log.warning("edge unreachable: %s", exc)
            return False
