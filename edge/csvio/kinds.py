"""What each kind of file holds, and the checks a row needs before the database.

Rows are validated with the very models the HTTP API uses, so a bad unit cost
reads the same in a CSV report as in a 422 from ``PUT /api/v1/items``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator

from edge.csvio.parse import Row
from edge.csvio.report import RowError
from edge.models import BarcodeIn, BinIn, ItemIn, Strict
from edge.problems import validation_problem


class OpeningStockIn(Strict):
    """One row of the opening inventory count: qty of sku (lot, serial) found in bin."""

    bin: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    lot: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = Field(None, description="Expiry of the lot; needed when a perishable lot is new")
    serial: Optional[str] = Field(None, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)

    @field_validator("expiry")
    @classmethod
    def _expiry_needs_lot(cls, value, info):
        if value is not None and not info.data.get("lot"):
            raise ValueError("an expiry date belongs to a lot; give the lot as well")
        return value


@dataclass(frozen=True)
class Kind:
    name: str                       # what the command line calls it: items
    table: str                      # item
    model: type[BaseModel]
    key: Callable[[BaseModel], tuple]
    label: Callable[[BaseModel], tuple[str, str]]   # (column, how a person names the key)
    # Documents (purchase orders ...) bring their own writer job: load(batch) -> job(conn).
    load: Optional[Callable] = None

    @property
    def columns(self) -> list[str]:
        return list(self.model.model_fields)

    @property
    def required(self) -> list[str]:
        return [n for n, f in self.model.model_fields.items() if f.is_required()]


def _stock_key(row: OpeningStockIn) -> tuple:
    # A serial is one piece wherever it is; otherwise one row per place.
    if row.serial:
        return ("serial", row.sku, row.serial)
    return ("place", row.bin, row.sku, row.lot or "")


def _stock_label(row: OpeningStockIn) -> tuple[str, str]:
    if row.serial:
        return "serial", f"serial {row.serial!r} of sku {row.sku!r}"
    lot = f" lot {row.lot!r}" if row.lot else ""
    return "sku", f"sku {row.sku!r}{lot} in bin {row.bin!r}"


KINDS: dict[str, Kind] = {
    "items": Kind("items", "item", ItemIn, lambda m: (m.sku,), lambda m: ("sku", f"sku {m.sku!r}")),
    "bins": Kind("bins", "bin", BinIn, lambda m: (m.code,), lambda m: ("code", f"bin {m.code!r}")),
    "barcodes": Kind("barcodes", "barcode", BarcodeIn, lambda m: (m.code,),
                     lambda m: ("code", f"barcode {m.code!r}")),
    "stock": Kind("stock", "movement", OpeningStockIn, _stock_key, _stock_label),
}


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "...'"


def model_errors(line: int, exc: ValidationError) -> list[RowError]:
    """The API's field/message pairs, plus the cell that was wrong."""
    out = []
    shown = validation_problem(exc)["errors"]
    for problem, raw in zip(shown, exc.errors(include_url=False)):
        message = problem["message"]
        if raw["type"] != "missing" and isinstance(raw.get("input"), str):
            message += f" (got {_shown(raw['input'])})"
        out.append(RowError(line, problem["field"], message))
    return out


def validate(kind: Kind, rows: Iterable[Row], on_row: Callable[[Row], None] | None = None
             ) -> tuple[list[tuple[int, BaseModel]], list[RowError], int]:
    """Every row through the model, plus duplicate keys within the file.

    Returns the good rows with their lines, every error, and how many rows
    the file holds.
    """
    good: list[tuple[int, BaseModel]] = []
    errors: list[RowError] = []
    first_seen: dict[tuple, int] = {}
    count = 0
    validate_one = kind.model.model_validate
    for row in rows:
        count += 1
        if on_row is not None:
            on_row(row)
        if row.error is not None:
            errors.append(row.error)
            continue
        try:
            model = validate_one(row.cells)
        except ValidationError as exc:
            errors.extend(model_errors(row.line, exc))
            continue
        key = kind.key(model)
        first = first_seen.setdefault(key, row.line)
        if first != row.line:
            field, what = kind.label(model)
            errors.append(RowError(row.line, field, f"{what} is repeated: first on line {first}, again on line {row.line}"))
            continue
        good.append((row.line, model))
    return good, errors, count
