"""Analytics reports (docs/reports.md): every report as JSON, or CSV with
?format=csv, computed from the ledger as of the end of a day (?as_of=)."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge.api.common import read, write
from edge.api.spec import SUPERVISORS, endpoint

bp = Blueprint("reports", __name__, url_prefix="/api/v1")

REPORT_NAMES = ("stock", "expiry", "valuation", "fifo_layers", "turnover", "dead_slow", "abc", "accuracy",
                "receiving", "productivity", "replenishment")
ReportName = Literal[REPORT_NAMES]  # type: ignore[valid-type]


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["json", "csv"] = "json"
    as_of: Optional[date] = Field(None, description="End of this day, UTC (default: now)")
    days: Optional[int] = Field(None, ge=1, le=3660, description="Window in days (expiry: lots expiring within)")
    by: Optional[str] = Field(None, max_length=16, description="stock: bin|zone|item|lot|bin_item_lot; "
                                                                 "accuracy: day|week|month")
    zone: Optional[str] = Field(None, max_length=32)
    sku: Optional[str] = Field(None, max_length=64)
    dead_days: Optional[int] = Field(None, ge=1, le=3660)
    slow_days: Optional[int] = Field(None, ge=1, le=3660)
    history_days: Optional[int] = Field(None, ge=14, le=1100)
    limit: Optional[int] = Field(None, ge=1, le=1_000_000, description="At most this many rows")


@endpoint(bp, "/reports", roles=SUPERVISORS, tags=("reports",))
def report_list():
    """The reports there are, each with the parameters it takes."""
    from edge.analytics import reports
    return jsonify({"items": reports.catalogue()})


@endpoint(bp, "/reports/<name>", query=ReportQuery, roles=SUPERVISORS, tags=("reports",),
          response_content={"application/json": {"schema": {"type": "object"}},
                            "text/csv": {"schema": {"type": "string"}}})
def report(name: str, query: ReportQuery):
    """One report as of a date: JSON {report, as_of, params, count, rows}, or the rows as CSV with format=csv."""
    from edge.analytics import csv as csv_mod, reports
    params = query.model_dump(exclude={"format", "as_of", "limit"})
    result = reports.run(read(), name, query.as_of, params, limit=query.limit)
    if query.format == "csv":
        return Response(csv_mod.to_csv(result["rows"]), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}-{result["as_of"]}.csv"'})
    return jsonify(result)


class AbcApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Optional[date] = None
    days: int = Field(365, ge=1, le=3660)


@endpoint(bp, "/reports/abc/apply", method="POST", body=AbcApplyIn, roles=SUPERVISORS, tags=("reports",))
def abc_apply(body: AbcApplyIn):
    """Write the ABC classes to the items: the cycle-count schedule counts A, B and C items at their
    frequencies (settings count_days_a/b/c) from its next run."""
    from edge.analytics import abc

    def job(conn):
        rows = abc.abc_report(conn, body.as_of, body.days)
        return abc.apply_classes(conn, {r["sku"]: r["abc_class"] for r in rows})
    return write(job)
