"""Barcodes read on the edge: photo uploads (POST /api/v1/decode) and fixed dock
cameras reporting their health and reads (docs/decoding.md)."""
from __future__ import annotations

import re
from typing import Optional

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import RequestEntityTooLarge

from edge import realtime
from edge.api.common import edge, read
from edge.api.errors import ApiProblem
from edge.api.spec import ANY_SIGNED_IN, endpoint
from edge.catalog import SqliteCatalog
from edge.decode import records
from edge.scans import interpret

bp = Blueprint("decode", __name__, url_prefix="/api/v1")

MAX_BYTES = 10 * 1024 * 1024
STATION_WRITERS = frozenset({"receiver", "supervisor", "admin"})   # a station receives pallets
STATION_READERS = frozenset({"receiver", "supervisor", "admin"})
STATION = "<station>"
_STATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

IMAGE_BODY = {
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary", "description": "the photo, JPEG or PNG"}}}},
}


class DecodedCode(BaseModel):
    text: str = Field(description="As encoded; FNC1 separators are ASCII 29")
    symbology: str = Field(description="e.g. GS1-128, EAN-13, GS1 DataMatrix, QR Code")
    aim: Optional[str] = Field(None, description="AIM symbology identifier, e.g. ]C1, ]E0, ]d2, ]Q1")
    engine: str
    position: list[list[int]] = Field(description="Corner points [x, y] in the uploaded image, from top-left")
    scan: dict = Field(description="The scan interpretation of aim + text, as POST /api/v1/scan answers")


class DecodeOut(BaseModel):
    codes: list[DecodedCode]
    width: int
    height: int
    ms: float = Field(description="Decoding time on the edge")


def _limit() -> int:
    return int(current_app.config.get("DECODE_MAX_BYTES") or MAX_BYTES)


def _size(n: int) -> str:
    return f"{n / 1048576:.3g} MB" if n >= 1048576 else f"{n / 1024:.0f} KB"


def _upload() -> bytes:
    limit = _limit()
    request.max_content_length = limit   # this endpoint's own limit, not the app's 4 MB for JSON
    too_big = ApiProblem(413, f"the photo is larger than {_size(limit)}; send a smaller JPEG",
                         title="Too large", slug="image-too-large")
    if (request.content_length or 0) > limit:
        raise too_big
    if request.mimetype != "multipart/form-data" and not request.mimetype.startswith("image/"):
        raise ApiProblem(415, f"send a JPEG or PNG as image/jpeg or image/png, or as the multipart field 'image' "
                              f"(got {request.mimetype or 'no Content-Type'})")
    try:
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("image")
            if upload is None:
                raise ApiProblem(400, "send the photo in the multipart field 'image'",
                                 errors=[{"field": "image", "message": "required"}])
            data = upload.read(limit + 1)
        else:
            data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_big from None
    if len(data) > limit:
        raise too_big
    return data


@endpoint(bp, "/decode", method="POST", roles=ANY_SIGNED_IN, response=DecodeOut, tags=("scan",),
          request_content=IMAGE_BODY,
          extra_responses={413: "the photo is too large (bytes or pixels)", 415: "not a JPEG or PNG image",
                           422: "no barcode found, or the image cannot be decoded"})
def decode_photo():
    """Read every barcode in a photo (JPEG or PNG, at most 10 MB): each with its symbology, AIM identifier,
    corner points and the scan interpretation, as if it had been scanned."""
    # OpenCV and zxing-cpp load on the first photo, not when the app starts.
    from edge.decode.images import MAX_PIXELS, ImageError, load
    from edge.decode.pipeline import photo_pipeline
    data = _upload()
    try:
        gray = load(data, int(current_app.config.get("DECODE_MAX_PIXELS") or MAX_PIXELS))
    except ImageError as exc:
        raise ApiProblem(exc.status, str(exc), title=exc.title, slug=exc.slug) from None
    result = photo_pipeline().decode(gray)
    height, width = gray.shape[:2]
    if not result.codes:
        raise ApiProblem(422, f"no barcode found in the {width}x{height} photo; hold the phone closer so the label "
                              "fills the frame, keep it level and in focus, and avoid glare",
                         title="No barcode found", slug="no-barcode")
    catalog = SqliteCatalog(read(), viewer=g.user)   # as POST /api/v1/scan: badges by role
    gs_sub = current_app.config.get("GS_SUBSTITUTE")
    codes = [{"text": c.text, "symbology": c.symbology, "aim": c.aim, "engine": c.engine, "position": c.position,
              "scan": interpret(c.scan, c.symbology, catalog=catalog, gs_substitute=gs_sub)} for c in result.codes]
    return jsonify({"codes": codes, "width": width, "height": height, "ms": round(result.ms, 1)})


# -- camera stations ----------------------------------------------------------------------

def _check_name(station: str) -> None:
    if not _STATION_NAME.fullmatch(station):
        raise ApiProblem(422, f"station name {station[:80]!r} must be 1-64 letters, digits, '.', '_' or '-'",
                         errors=[{"field": "station", "message": "1-64 letters, digits, '.', '_' or '-'"}])


class ReadsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_seq: int = Field(0, ge=0, le=2 ** 63 - 1, description="paging cursor: the last seq seen")
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, f"/camera/stations/{STATION}", method="PUT", roles=STATION_WRITERS, body=records.StationStatusIn,
          tags=("camera",))
def report_station(station: str, body: records.StationStatusIn):
    """A dock camera station reports its health: frames/s, decode latency p50/p99, reads, drops, reconnects.
    Supervisors get it live as `camera.status`."""
    _check_name(station)
    user_id = g.user["id"]
    status = edge().write(lambda conn: records.save_status(conn, station, body, user_id))
    realtime.notify("camera.status", status, ["supervisors"])
    return jsonify(status)


@endpoint(bp, "/camera/stations", roles=STATION_READERS, tags=("camera",))
def list_stations():
    """Every camera station with its latest report (`last_seen` tells a silent one)."""
    return jsonify({"items": records.list_statuses(read())})


@endpoint(bp, f"/camera/stations/{STATION}/reads", method="POST", roles=STATION_WRITERS,
          body=records.StationReadsIn, status=201, tags=("camera",))
def add_station_reads(station: str, body: records.StationReadsIn):
    """Log what a station read and what it led to (received, already received, not on an ASN, logged).
    Read ids are minted by the station; sending the same read again stores it once."""
    _check_name(station)
    added = edge().write(lambda conn: records.add_reads(conn, station, body.reads))
    if added:
        realtime.notify("camera.reads", {"station": station, "reads": added}, ["supervisors"])
    return jsonify({"added": len(added)}), 201


@endpoint(bp, "/camera/pallets/<sscc>", roles=STATION_READERS, tags=("camera",))
def camera_pallet(sscc: str):
    """The ASN pallet with this SSCC (18 digits): its ASN, the ASN's status, and whether and on which receipt it
    was received. A station asks this for every pallet label it reads."""
    found = records.pallet(read(), sscc) if re.fullmatch(r"[0-9]{18}", sscc) else None
    if found is None:
        raise ApiProblem(404, f"no ASN lists pallet {sscc[:40]}; receive its cartons one by one",
                         title="Unknown pallet", slug="unknown-pallet")
    return jsonify(found)


@endpoint(bp, f"/camera/stations/{STATION}/reads", roles=STATION_READERS, query=ReadsQuery, tags=("camera",))
def list_station_reads(station: str, query: ReadsQuery):
    """A station's reads in the order they were recorded."""
    rows = records.list_reads(read(), station, after_seq=query.after_seq, limit=query.limit)
    return jsonify({"items": rows, "next_after_seq": rows[-1]["seq"] if len(rows) == query.limit else None})
