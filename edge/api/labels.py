"""Label jobs over HTTP: ZPL and PDF downloads, send-to-printer, and a preview.

GET downloads take the same options as `floorscan labels`; POST /labels/print
sends the ZPL job raw to a printer (host:9100). Unknown bins or skus answer
404 naming them, a job over the limit 413, and a printer that cannot be
reached 502 (refused, no route, no such host) or 504 (no answer in time).
"""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.api.common import read
from edge.api.spec import SUPERVISORS, endpoint

bp = Blueprint("labels", __name__, url_prefix="/api/v1")

# Receivers label cases at the dock; supervisors and admins label bins and items.
LABEL_ROLES = SUPERVISORS | {"receiver"}
MIMETYPES = {"zpl": "application/zpl", "pdf": "application/pdf"}


def _split(value):
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()] or None
    return value


class LabelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    size: Literal["4x2", "2x1"] = Field("4x2", description="inches, 203 dpi")
    copies: int = Field(1, ge=1, le=100, description="copies of each label")


class BinLabels(LabelOptions):
    codes: Optional[list[str]] = Field(None, description="bin codes (a comma-separated list in a query string)")
    zone: Optional[str] = Field(None, max_length=32, description="every active bin of the zone, in walk order")
    aisle: Optional[str] = Field(None, max_length=32)
    qr: bool = Field(False, description="add a QR code of the bin code for phone cameras")

    _codes = field_validator("codes", mode="before")(_split)


class ItemLabels(LabelOptions):
    skus: list[str] = Field(min_length=1, description="skus (a comma-separated list in a query string)")
    case: bool = Field(False, description="case labels: the item's barcode with the largest pack qty")
    lot: Optional[str] = Field(None, max_length=20, description="GS1 AI (10)")
    expiry: Optional[str] = Field(None, description="YYYY-MM-DD, GS1 AI (17); default: the lot's expiry")
    symbology: Literal["auto", "gs1-128", "gs1-datamatrix", "code128", "datamatrix", "qr"] = "auto"

    _skus = field_validator("skus", mode="before")(_split)


class Download(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["zpl", "pdf"] = "zpl"
    sheet: Literal["a4", "letter", "label"] = Field("a4", description="PDF: N-up on A4/Letter, or one per page")


class BinDownload(BinLabels, Download):
    pass


class ItemDownload(ItemLabels, Download):
    pass


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    image: Literal["svg", "png"] = "svg"
    index: int = Field(0, ge=0, le=999, description="which label of the job")


class BinPreview(BinLabels, Preview):
    pass


class ItemPreview(ItemLabels, Preview):
    pass


class PrintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    printer: str = Field(min_length=1, max_length=255, examples=["10.0.0.40:9100"],
                         description="host:port of a Zebra printer taking raw ZPL (port 9100)")
    bins: Optional[BinLabels] = None
    items: Optional[ItemLabels] = None


class PrintOut(BaseModel):
    printer: str
    labels: int
    bytes: int


def _options(model: BaseModel, drop: tuple[str, ...] = ()) -> dict:
    return {k: v for k, v in model.model_dump().items() if k not in drop}


def _download(kind: str, query) -> Response:
    from edge.labels import make_job
    options = _options(query, ("format", "sheet", "copies"))
    job = make_job(read(), kind, fmt=query.format, sheet=query.sheet, copies=query.copies, **options)
    name = f"{kind}-labels.{query.format}"
    return Response(job.body, mimetype=MIMETYPES[query.format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Label-Count": str(job.count)})


def _preview(kind: str, query) -> Response:
    from edge.labels import make_labels, preview
    from edge.labels.errors import LabelNotFound
    labels = make_labels(read(), kind, **_options(query, ("image", "index", "copies")))
    if query.index >= len(labels):
        raise LabelNotFound(f"the job has {len(labels)} labels; index {query.index} is past the end", field="index")
    label = labels[query.index]
    headers = {"X-Label-Count": str(len(labels)), "Cache-Control": "no-store"}
    if query.image == "png":
        return Response(preview.png(label), mimetype="image/png", headers=headers)
    return Response(preview.svg(label), mimetype="image/svg+xml", headers=headers)


FILE = {"application/zpl": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}
IMAGE = {"image/svg+xml": {"schema": {"type": "string"}}, "image/png": {"schema": {"type": "string", "format": "binary"}}}
ERRORS = {404: "an unknown bin or sku (all are named)", 413: "more labels than the limit in one job",
          422: "the data cannot be encoded or does not fit the label size"}


@endpoint(bp, "/labels/bins", query=BinDownload, roles=LABEL_ROLES, tags=("labels",), response_content=FILE,
          extra_responses=ERRORS)
def bin_labels(query: BinDownload):
    """Bin labels (Code 128, large text, optional QR) as ZPL or a PDF sheet, by codes or by zone/aisle."""
    return _download("bins", query)


@endpoint(bp, "/labels/items", query=ItemDownload, roles=LABEL_ROLES, tags=("labels",), response_content=FILE,
          extra_responses=ERRORS)
def item_labels(query: ItemDownload):
    """Item or case labels: GS1-128 / GS1 DataMatrix with (01) GTIN, (17) expiry, (10) lot, plus sku,
    description and pack qty; Code 128 of the internal barcode for items without a GTIN."""
    return _download("items", query)


@endpoint(bp, "/labels/bins/preview", query=BinPreview, roles=LABEL_ROLES, tags=("labels",),
          response_content=IMAGE, extra_responses=ERRORS)
def bin_preview(query: BinPreview):
    """One bin label as SVG (or PNG) at one pixel per printer dot: the browser's print preview."""
    return _preview("bins", query)


@endpoint(bp, "/labels/items/preview", query=ItemPreview, roles=LABEL_ROLES, tags=("labels",),
          response_content=IMAGE, extra_responses=ERRORS)
def item_preview(query: ItemPreview):
    """One item or case label as SVG (or PNG): the browser's print preview."""
    return _preview("items", query)


@endpoint(bp, "/labels/print", method="POST", body=PrintIn, roles=LABEL_ROLES, response=PrintOut, tags=("labels",),
          extra_responses={**ERRORS, 502: "the printer refused the connection or does not resolve",
                           504: "the printer did not take the job in time"})
def print_labels(body: PrintIn):
    """Send a ZPL job raw to a Zebra printer (TCP, port 9100). Give exactly one of `bins` or `items`."""
    from edge.api.errors import ApiProblem
    from edge.labels import make_job, printer
    if (body.bins is None) == (body.items is None):
        raise ApiProblem(422, "give exactly one of bins or items", errors=[{"field": "bins", "message": "one of "
                                                                            "bins or items"}])
    kind, opts = ("bins", body.bins) if body.bins is not None else ("items", body.items)
    printer.parse_address(body.printer)  # a typo is a 422 before any work
    job = make_job(read(), kind, fmt="zpl", copies=opts.copies, **_options(opts, ("copies",)))
    timeout = float(current_app.config.get("LABEL_PRINTER_TIMEOUT_SECONDS", 5.0))
    sent = printer.send(body.printer, job.body, timeout=timeout)
    return jsonify({"printer": sent["printer"], "labels": job.count, "bytes": sent["bytes"]})
