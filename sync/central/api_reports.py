"""Company-wide reports (API-key auth), docs/reports.md "Company-wide reports
at central": every report as JSON, or CSV with ?format=csv, as of the end of
a day (?as_of=)."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field

from sync.central.spec import endpoint, store

bp = Blueprint("central_reports", __name__, url_prefix="/api/v1")
TAGS = ("reports",)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["json", "csv"] = "json"
    # Bounded so a window of up to 3660 days before it and the day after it are still dates.
    as_of: Optional[date] = Field(None, ge=date(1900, 1, 1), le=date(9998, 12, 31),
                                  description="End of this day, UTC, by each warehouse's recorded_at (default: now)")
    days: Optional[int] = Field(None, ge=1, le=3660, description="Window in days (turnover, abc, dead_slow, "
                                                                 "receiving, transfers)")
    dead_days: Optional[int] = Field(None, ge=1, le=3660)
    slow_days: Optional[int] = Field(None, ge=1, le=3660)
    warehouse: Optional[str] = Field(None, min_length=1, max_length=32, pattern=r"^[^\x00]+$",
                                     description="stock: one warehouse")
    sku: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[^\x00]+$",
                               description="stock, stock_by_warehouse: one item")
    limit: Optional[int] = Field(None, ge=1, le=1_000_000, description="At most this many rows")


@endpoint(bp, "/reports", tags=TAGS)
def report_list():
    """The company-wide reports, each with the parameters it takes."""
    from sync.central import reports
    return jsonify({"items": reports.catalogue()})


@endpoint(bp, "/reports/<name>", query=ReportQuery, tags=TAGS,
          extra_responses={422: "invalid query, or a parameter this report does not take"})
def report(name: str, query: ReportQuery):
    """One company-wide report as of a date: JSON {report, as_of, params, notes, count, rows}, or the rows as CSV
    with format=csv (text/csv, header row)."""
    from edge.analytics.csv import to_csv
    from sync.central import reports
    params = query.model_dump(exclude={"format", "as_of", "limit"})
    result = reports.run(store(), name, query.as_of, params, limit=query.limit)
    if query.format == "csv":
        return Response(to_csv(result["rows"]), mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="central-{result["report"]}-{result["as_of"]}.csv"'})
    return jsonify(result)
