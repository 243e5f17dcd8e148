"""The dock camera station: a generated video of pallets passing under the
camera, run through the real `floorscan camera` against a real edge
(`floorscan serve`); plus the queue, reconnects, repeats and the station API."""
from __future__ import annotations

import queue
import time
import uuid

import numpy as np
import pytest
import requests

from _decode_support import pallet_video, sscc
from conftest import LiveServer, assert_problem, make_bin, make_item
from edge.decode.station import FrameSource, Repeats, Station, redact
from edge.realtime import socketio

SSCC_1, SSCC_2, SSCC_3, STRANGER = sscc(101), sscc(102), sscc(103), sscc(999)


@pytest.fixture
def dock_site(app, client, auth_for):
    """A dock bin, two items, a PO with an ASN of three SSCC-labelled pallets."""
    make_bin(app, "D-DOCK-01", kind="dock", zone="D", walk_seq=10)
    make_bin(app, "A-01", zone="A", walk_seq=100)
    make_item(app, "BOLT", barcodes=[("4006381333931", 1)])
    make_item(app, "MILK", tracking="lot", perishable=True)
    sup = auth_for("supervisor")
    r = client.post("/api/v1/purchase-orders", headers=sup, json={
        "id": "PO-7", "supplier": "Acme", "lines": [{"sku": "BOLT", "qty": 300}, {"sku": "MILK", "qty": 40}]})
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/asns", headers=sup, json={"id": "ASN-7", "po_id": "PO-7", "pallets": [
        {"sscc": SSCC_1, "lines": [{"sku": "BOLT", "qty": 100}]},
        {"sscc": SSCC_2, "lines": [{"sku": "BOLT", "qty": 200}]},
        {"sscc": SSCC_3, "lines": [{"sku": "MILK", "qty": 40, "lot": "L9", "expiry": "2027-06-30"}]}]})
    assert r.status_code == 201, r.get_json()
    return app


def run_camera(video, server, *extra) -> int:
    from edge.cli import main
    return main(["camera", "--source", str(video), "--station", "DOCK-1", "--dock-bin", "D-DOCK-01",
                 "--edge", server.url, "--pin", "2222", "--report-every", "0.3", *extra])


def test_pallets_passing_under_the_camera_are_received_exactly_once(dock_site, db_path, tmp_path):
    video = pallet_video(str(tmp_path / "dock.avi"), [
        ("gs1-128", "00" + SSCC_1), ("ean13", "400638133393"), ("gs1-128", "00" + SSCC_2),
        ("gs1-128", "00" + STRANGER), ("gs1-128", "00" + SSCC_3)])
    server = LiveServer(db_path).start()
    try:
        assert run_camera(video, server) == 0
        edge = requests.Session()
        edge.headers["Authorization"] = "Bearer " + requests.post(
            server.url + "/api/v1/session", json={"pin": "4444"}).json()["token"]
        api = server.url + "/api/v1"

        asn = edge.get(api + "/asns/ASN-7").json()
        assert {p["sscc"]: p["status"] for p in asn["pallets"]} == {s: "received" for s in (SSCC_1, SSCC_2, SSCC_3)}
        stock = {(r["sku"], r["lot"]): r["qty"] for r in edge.get(api + "/stock", params={"bin": "D-DOCK-01"}).json()["items"]}
        assert stock == {("BOLT", None): 300, ("MILK", "L9"): 40}
        [receipt] = edge.get(api + "/receipts", params={"dock_bin": "D-DOCK-01"}).json()["items"]
        assert receipt["asn_id"] == "ASN-7"

        reads = edge.get(api + "/camera/stations/DOCK-1/reads").json()["items"]
        outcomes = [(r["sscc"] or r["code"], r["outcome"]) for r in reads]
        assert outcomes == [(SSCC_1, "received"), ("]E04006381333931", "logged"), (SSCC_2, "received"),
                            (STRANGER, "not_on_asn"), (SSCC_3, "received")]
        assert reads[1]["symbology"] == "EAN-13" and reads[1]["kind"] == "item" and "BOLT" in reads[1]["detail"]
        assert reads[0]["code"] == "]C100" + SSCC_1 and reads[0]["receipt_id"] == receipt["id"]

        [status] = edge.get(api + "/camera/stations").json()["items"]
        assert status["station"] == "DOCK-1" and status["status"] == "stopped"
        assert status["reads"] == 5 and status["frames"] == 5 * 20 and status["dropped"] == 0
        assert status["decode_ms_p50"] > 0 and status["decode_ms_p99"] >= status["decode_ms_p50"]

        # The same video again (a restarted station, a pallet driven back under the
        # camera): the edge already has every pallet, stock does not change.
        assert run_camera(video, server) == 0
        stock_again = {(r["sku"], r["lot"]): r["qty"] for r in edge.get(api + "/stock", params={"bin": "D-DOCK-01"}).json()["items"]}
        assert stock_again == stock
        again = edge.get(api + "/camera/stations/DOCK-1/reads", params={"after_seq": reads[-1]["seq"]}).json()["items"]
        assert [r["outcome"] for r in again if r["sscc"] in (SSCC_1, SSCC_2, SSCC_3)] == ["received"] * 3
        assert all("already sent" in r["detail"] for r in again if r["sscc"] in (SSCC_1, SSCC_2, SSCC_3))

        # The receiver closes the receipt; the pallets pass once more: nothing
        # is received and no empty receipt is opened for them.
        r = edge.post(api + "/commands", json={"commands": [{"id": str(uuid.uuid4()), "type": "receipt.close",
                                                             "at": "2026-11-27T08:00:00Z",
                                                             "payload": {"receipt_id": receipt["id"]}}]})
        assert r.json()["results"][0]["status"] == "applied", r.json()
        last = again[-1]["seq"]
        assert run_camera(video, server) == 0
        third = edge.get(api + "/camera/stations/DOCK-1/reads", params={"after_seq": last}).json()["items"]
        assert [r["outcome"] for r in third if r["sscc"] in (SSCC_1, SSCC_2, SSCC_3)] == ["already_received"] * 3
        assert f"was received on receipt {receipt['id']}" in third[0]["detail"]
        assert len(edge.get(api + "/receipts", params={"status": "all", "dock_bin": "D-DOCK-01"}).json()["items"]) == 1
        stock_third = {(r["sku"], r["lot"]): r["qty"] for r in edge.get(api + "/stock", params={"bin": "D-DOCK-01"}).json()["items"]}
        assert stock_third == stock

        # A source that cannot be opened: exit 1, and the supervisors see why.
        assert run_camera(tmp_path / "missing.avi", server) == 1
        [status] = edge.get(api + "/camera/stations").json()["items"]
        assert status["frames"] == 0 and "cannot open" in status["last_error"] and "missing.avi" in status["source"]
    finally:
        server.stop()


def test_the_camera_command_says_what_is_missing(capsys):
    from edge.cli import main
    assert main(["camera", "--source", "x.avi", "--station", "DOCK-1"]) == 2
    assert "--token or --pin" in capsys.readouterr().err
    assert main(["camera", "--source", "x.avi", "--station", "DOCK-1", "--token", "t", "--steps", "full,magic"]) == 2
    assert "unknown pipeline step" in capsys.readouterr().err


# -- the capture side, with a faked camera feeding the real FrameSource -------------------------

class FakeCapture:
    """What cv2.VideoCapture offers the station: isOpened, read, get, release."""

    def __init__(self, frames: int | None, opened: bool = True):
        self.left, self.opened = frames, opened
        self.frame = np.full((120, 160, 3), 200, np.uint8)

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        if self.left is not None:
            if self.left <= 0:
                return False, None
            self.left -= 1
        return True, self.frame

    def get(self, prop):
        return 25.0

    def release(self):
        pass


def test_a_slow_decoder_drops_frames_instead_of_growing_memory():
    source = FrameSource("rtsp://cam/stream", queue_size=2, capture=lambda _: FakeCapture(None))
    source.start()
    deadline = time.monotonic() + 60  # a ceiling for a busy machine: it takes milliseconds
    while source.dropped < 500 and time.monotonic() < deadline:
        assert source.frames.qsize() <= 2
        time.sleep(0.01)
    source.stop()
    assert source.dropped >= 500 and source.frames.qsize() <= 2


def test_a_stream_that_drops_is_reopened_with_backoff():
    opens = []
    plan = [FakeCapture(0, opened=False), FakeCapture(3), FakeCapture(0, opened=False), FakeCapture(4)]

    def capture(src):
        opens.append(time.monotonic())
        return plan[len(opens) - 1] if len(opens) <= len(plan) else FakeCapture(0, opened=False)

    source = FrameSource("rtsp://user:secret@cam/stream", queue_size=100, backoff=(0.01, 0.05), capture=capture)
    source.start()
    got, deadline = 0, time.monotonic() + 60
    while got < 7 and time.monotonic() < deadline:
        try:
            got += source.frames.get(timeout=0.1) is not None
        except queue.Empty:
            pass
    source.stop()
    assert got == 7                      # every frame of both connections arrived
    assert source.reconnects >= 3 and len(opens) >= 4
    assert "secret" not in (source.last_error or "") and "***@cam" in source.last_error


def test_a_file_that_cannot_be_opened_ends_the_run(tmp_path):
    source = FrameSource(str(tmp_path / "missing.avi")).start()
    assert source.frames.get(timeout=60) is FrameSource.END
    assert source.status == "stopped" and "cannot open" in source.last_error


def test_the_same_code_counts_again_only_after_leaving_the_window():
    repeats = Repeats(window=10)
    assert repeats.is_new(("]C1", "00X"), 0.0)
    assert not repeats.is_new(("]C1", "00X"), 5.0)
    assert not repeats.is_new(("]C1", "00X"), 14.0)      # still in view: 14 - 5 < 10
    assert repeats.is_new(("]C1", "00X"), 30.0)          # gone for 16 s: a new pass
    assert repeats.is_new(("]E0", "4006381333931"), 30.0)


def test_station_reads_a_label_once_while_it_stays_in_view():
    from _decode_support import label
    frame = np.full((400, 700), 190, np.uint8)
    img = label("gs1-128", "00" + SSCC_1)
    frame[100:100 + img.shape[0], 50:50 + img.shape[1]] = img
    t = [0.0]
    reads = []
    station = Station("S", FrameSource("x"), reads.append, clock=lambda: t[0], repeat_window=2)
    for step in range(5):
        t[0] = step * 0.5
        station.process(frame)
    assert [r.sscc for r in reads] == [SSCC_1]
    t[0] = 10.0
    station.process(frame)
    assert len(reads) == 2 and station.stats.frames == 6 and station.status()["reads"] == 2


def test_redact_hides_camera_credentials():
    assert redact("rtsp://admin:pw@10.0.0.5:554/s1") == "rtsp://***@10.0.0.5:554/s1"
    assert redact("/dev/video0") == "/dev/video0"


# -- the station API ------------------------------------------------------------------------

STATUS = {"status": "running", "fps": 9.5, "decode_ms_p50": 6.1, "decode_ms_p99": 14.0, "frames": 100,
          "dropped": 2, "reads": 3, "reconnects": 0}


def test_station_reports_reach_supervisors_live(app, client, auth_for):
    sup = auth_for("supervisor")
    sio = socketio.test_client(app, auth={"token": sup["Authorization"].split()[1]})
    sio.get_received()
    r = client.put("/api/v1/camera/stations/DOCK-1", json=STATUS, headers=auth_for("receiver"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["fps"] == 9.5 and r.get_json()["last_seen"]
    read = {"id": "r-1", "code": "]E04006381333931", "symbology": "EAN-13", "kind": "item", "outcome": "logged",
            "at": "2026-11-27T08:00:00Z"}
    r = client.post("/api/v1/camera/stations/DOCK-1/reads", json={"reads": [read]}, headers=auth_for("receiver"))
    assert r.status_code == 201 and r.get_json() == {"added": 1}
    r = client.post("/api/v1/camera/stations/DOCK-1/reads", json={"reads": [read]}, headers=auth_for("receiver"))
    assert r.get_json() == {"added": 0}   # the station resent it: stored once
    events = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {"camera.status", "camera.reads"} - {e["name"] for e in events}:
        events += sio.get_received()
        time.sleep(0.02)
    names = [e["name"] for e in events]
    assert names.count("camera.status") == 1 and names.count("camera.reads") == 1
    status = next(e["args"][0] for e in events if e["name"] == "camera.status")
    assert status["station"] == "DOCK-1" and status["decode_ms_p99"] == 14.0
    assert len(client.get("/api/v1/camera/stations/DOCK-1/reads", headers=sup).get_json()["items"]) == 1
    sio.disconnect()


def test_a_station_looks_pallets_up_by_sscc(dock_site, client, auth_for):
    rec = auth_for("receiver")
    r = client.get(f"/api/v1/camera/pallets/{SSCC_2}", headers=rec)
    assert r.status_code == 200
    assert r.get_json() == {"sscc": SSCC_2, "asn_id": "ASN-7", "po_id": "PO-7", "asn_status": "open",
                            "status": "expected", "receipt_id": None, "received_at": None}
    for code in (STRANGER, "12345", "]C100" + SSCC_2):
        body = assert_problem(client.get(f"/api/v1/camera/pallets/{code}", headers=rec), 404)
        assert body["title"] == "Unknown pallet" and "receive its cartons one by one" in body["detail"]
    assert_problem(client.get(f"/api/v1/camera/pallets/{SSCC_2}", headers=auth_for("picker")), 403)


def test_station_api_refuses_bad_reports(client, auth_for):
    rec = auth_for("receiver")
    body = assert_problem(client.put("/api/v1/camera/stations/DOCK-1", json={**STATUS, "fps": -1}, headers=rec),
                          422, field="fps")
    assert "fps" in body["detail"]
    assert_problem(client.put("/api/v1/camera/stations/DOCK-1", json={**STATUS, "colour": "red"}, headers=rec),
                   422, field="colour")
    assert_problem(client.put("/api/v1/camera/stations/bad%20name!", json=STATUS, headers=rec), 422, field="station")
    assert_problem(client.put("/api/v1/camera/stations/" + "D" * 65, json=STATUS, headers=rec), 422, field="station")
    assert_problem(client.post("/api/v1/camera/stations/DOCK-1/reads", json={"reads": []}, headers=rec),
                   422, field="reads")
    assert_problem(client.post("/api/v1/camera/stations/DOCK-1/reads", json={"reads": [
        {"id": "x", "code": "C", "outcome": "teleported", "at": "now"}]}, headers=rec), 422, field="reads[0].outcome")
    body = assert_problem(client.put("/api/v1/camera/stations/DOCK-1", json=STATUS, headers=auth_for("picker")), 403)
    assert "picker may not" in body["detail"]
    assert_problem(client.get("/api/v1/camera/stations"), 401)
    assert_problem(client.get("/api/v1/camera/stations/DOCK-1/reads?limit=0", headers=rec), 422, field="query.limit")


def test_while_the_edge_is_unreachable_pallets_wait_and_reads_queue(tmp_path):
    from conftest import free_port
    from edge.decode.dock import Dock, EdgeClient
    from edge.decode.engines import Code
    from edge.decode.station import Read
    from edge.scans import DictCatalog, interpret

    dock = Dock(EdgeClient(f"http://127.0.0.1:{free_port()}", token="t", timeout=1), "DOCK-1", "D-DOCK-01")
    code = Code("00" + SSCC_1, "GS1-128", "]C1", "zxing-cpp")
    dock.on_read(Read(code, "2026-11-27T08:00:00Z", interpret(code.scan, catalog=DictCatalog())))
    assert [r.sscc for r in dock.pending] == [SSCC_1]
    [entry] = dock.outbox
    assert entry["outcome"] == "pending" and "edge unreachable" in entry["detail"]
    assert dock.flush({"status": "running"}) is False
    assert len(dock.pending) == 1 and len(dock.outbox) == 1   # kept for when the edge is back
