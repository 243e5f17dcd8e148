"""CSV import and export over HTTP, for supervisors and admins.

The same all-or-nothing import as `floorscan import`; a file with bad rows
answers 422 with one entry per problem: ``{"line", "field", "message"}``.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from edge import csvio
from edge.api.common import edge
from edge.api.errors import ApiProblem
from edge.api.spec import SUPERVISORS, endpoint

bp = Blueprint("csvio", __name__, url_prefix="/api/v1")

# An import holds the one writer for its whole transaction; the body limit
# (MAX_CONTENT_LENGTH) keeps that to a second or two.
IMPORT_TIMEOUT = 300
CSV_TYPES = {"", "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
             "application/octet-stream"}


class ImportOut(BaseModel):
    kind: str
    name: str = Field(description="The file name (the multipart file's name, or 'upload')")
    rows: int = Field(description="Data rows in the file")
    created: Optional[int] = Field(None, description="items, bins, barcodes: new records")
    updated: Optional[int] = Field(None, description="items, bins, barcodes: records replaced")
    movements: Optional[int] = Field(None, description="stock: opening movements recorded now")
    already_imported: Optional[int] = Field(None, description="stock: rows whose movement was recorded before")
    seconds: float
    summary: str


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_seq: Optional[int] = Field(None, ge=0, le=2**63 - 1,
                                     description="movements only: rows with seq greater than this")


def _upload() -> tuple[bytes, str]:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ApiProblem(400, "send the CSV file in the multipart field 'file'")
        return upload.read(), upload.filename or "upload"
    if request.mimetype not in CSV_TYPES:
        raise ApiProblem(415, "send the file as text/csv, or as multipart/form-data with a field 'file'")
    return request.get_data(), "upload"


@endpoint(bp, "/import/<kind>", method="POST", roles=SUPERVISORS, response=ImportOut, tags=("import/export",),
          extra_responses={404: "not a kind of file that can be imported", 413: "the file is too large",
                           415: "body is neither text/csv nor multipart/form-data"},
          request_content={
              "text/csv": {"schema": {"type": "string"}},
              "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                  "file": {"type": "string", "format": "binary", "description": "the CSV file"}}}}})
def import_csv(kind: str):
    """Import items, bins, barcodes or opening stock from CSV, all or nothing.

    Send the file as the body (Content-Type: text/csv) or as a multipart field
    named `file`. Items, bins and barcodes are created or replaced by key;
    `stock` posts one opening movement per row through the ledger, with ids
    derived from the file's contents, so sending the same file twice records
    it once. Any bad row: 422 with `errors: [{line, field, message}]` for every
    problem, and nothing is written. Columns: docs/import-export.md.
    """
    if kind not in csvio.IMPORT_KINDS:
        raise ApiProblem(404, f"cannot import {kind!r}; choose one of {', '.join(csvio.IMPORT_KINDS)}")
    data, name = _upload()
    if not data:
        raise ApiProblem(400, "the request has no body; send the CSV file")
    try:
        report = csvio.import_bytes(data, kind, name=name, user_id=g.user["id"],
                                    run=lambda job: edge().write(job, timeout=IMPORT_TIMEOUT))
    except csvio.ImportFailed as exc:
        raise ApiProblem(422, exc.headline(), title="Import failed", slug="import-failed",
                         errors=[e.to_dict() for e in exc.errors]) from None
    return jsonify(report.to_dict())


@endpoint(bp, "/export/<kind>.csv", roles=SUPERVISORS, query=ExportQuery, tags=("import/export",),
          extra_responses={404: "not a kind of table that can be exported"},
          response_content={"text/csv": {"schema": {"type": "string"}}})
def export_csv(kind: str, query: ExportQuery):
    """Items, bins, barcodes, stock or movements as CSV (text/csv).

    The columns are the import's columns, so an export imports back as it
    is. `movements` takes `after_seq` to fetch only what is new since a
    previous export.
    """
    if kind not in csvio.EXPORT_KINDS:
        raise ApiProblem(404, f"cannot export {kind!r}; choose one of {', '.join(csvio.EXPORT_KINDS)}")
    body = csvio.export_chunks(edge().path, kind, after_seq=query.after_seq)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'})
