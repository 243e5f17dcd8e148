"""CSV import of documents with lines (purchase orders, sales orders): one row
per line, the document's header columns repeated on each line or given on its
first line only. Each document is validated by the same pydantic model as its
API endpoint and saved in a SAVEPOINT, so one bad document is reported with its
file lines and the import as a whole stays all or nothing."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional

from pydantic import BaseModel, ValidationError

from edge.csvio.report import Report, RowError
from edge.ledger import LedgerError
from edge.problems import validation_problem


@dataclass(frozen=True)
class DocumentKind:
    noun: str                      # "purchase order", for messages
    id_column: str                 # the CSV column naming the document ("po_id")
    header: tuple[str, ...]        # columns that belong to the document, not the line
    model: Callable[[], type[BaseModel]]        # the API's input model (imported late)
    body: Callable[[str, dict, list], dict]     # (id, header values, rows) -> model input
    # (conn, validated document, batch) -> "created" | "updated"; raises LedgerError
    save: Callable[..., str]

    def key(self, row) -> tuple:
        # Unnumbered lines are numbered later and never repeat each other.
        doc_id = getattr(row, self.id_column)
        return (doc_id, row.line_no) if row.line_no is not None else ("unnumbered", id(row))

    def label(self, row) -> tuple[str, str]:
        return "line_no", f"line {row.line_no} of {self.noun} {getattr(row, self.id_column)!r}"

    def job_for(self, batch):
        return lambda conn: self.load(conn, batch)

    # -- loading ------------------------------------------------------------

    def _group(self, batch) -> "OrderedDict[str, list]":
        documents: OrderedDict[str, list] = OrderedDict()
        for line, row in batch.rows:
            documents.setdefault(getattr(row, self.id_column), []).append((line, row))
        return documents

    def _header(self, rows, errors: list[RowError]) -> dict:
        header: dict = {}
        for line, row in rows:
            for name in self.header:
                value = getattr(row, name)
                if value is None:
                    continue
                if header.get(name) is not None and header[name] != value:
                    errors.append(RowError(line, name, f"{self.noun} {getattr(row, self.id_column)!r} has {name} "
                                                       f"{header[name]} on an earlier line, not {value}"))
                header.setdefault(name, value)
        return header

    def _line_of(self, rows, field: Optional[str]) -> tuple[int, Optional[str]]:
        """The file line and column behind a field of the document body, e.g. lines[2].sku."""
        if field and field.startswith("lines["):
            index, _, column = field[len("lines["):].partition("].")
            if index.isdigit() and int(index) < len(rows):
                return rows[int(index)][0], column or None
        return rows[0][0], self.id_column if field == "id" else field

    def load(self, conn, batch) -> Report:
        model = self.model()
        savepoint = self.noun.replace(" ", "_") + "_row"
        for doc_id, rows in self._group(batch).items():
            header = self._header(rows, batch.errors)
            try:
                document = model.model_validate(self.body(doc_id, header, [r for _, r in rows]))
            except ValidationError as exc:
                for problem in validation_problem(exc)["errors"]:
                    line, column = self._line_of(rows, problem["field"])
                    batch.errors.append(RowError(line, column, problem["message"]))
                continue
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                outcome = self.save(conn, document, batch)
            except LedgerError as exc:
                conn.execute(f"ROLLBACK TO {savepoint}")
                line, column = self._line_of(rows, exc.field)
                batch.errors.append(RowError(line, column, exc.detail))
                outcome = None
            conn.execute(f"RELEASE {savepoint}")
            if outcome == "created":
                batch.report.created += len(rows)
            elif outcome is not None:
                batch.report.updated += len(rows)
            batch.progress(len(rows))
        if batch.errors:
            raise batch.fail()
        return batch.report
