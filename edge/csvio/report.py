"""What an import tells the person who ran it: a summary, or every bad row."""
from __future__ import annotations

from dataclasses import asdict, dataclass

# Enough to fix a file in one pass without scrolling a terminal for minutes;
# the count always covers them all.
MAX_PRINTED = 200


@dataclass(frozen=True)
class RowError:
    """One problem, at the physical line of the file where its row starts."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # about the file as a whole (it cannot be opened)
            return self.message
        if self.field:
            return f"line {self.line}: {self.field}: {self.message}"
        return f"line {self.line}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class ImportFailed(Exception):
    """The file has bad rows (or cannot be read at all); nothing was written."""

    def __init__(self, kind: str, name: str, errors: list[RowError]):
        self.kind = kind
        self.name = name
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__(self.headline())

    def headline(self) -> str:
        lines = len({e.line for e in self.errors})
        problems = "1 problem" if len(self.errors) == 1 else f"{len(self.errors):,} problems"
        rows = "1 line" if lines == 1 else f"{lines:,} lines"
        return f"import of {self.kind} from {self.name} failed: {problems} on {rows}; nothing was written"

    def report(self, limit: int = MAX_PRINTED) -> str:
        out = [self.headline()]
        out += [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            out.append(f"... and {len(self.errors) - limit:,} more")
        return "\n".join(out)


@dataclass
class Report:
    kind: str
    name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    movements: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        if self.kind == "stock":
            return (f"imported {self.rows:,} stock rows ({self.movements:,} new movements, "
                    f"{self.duplicates:,} already imported) in {self.seconds:.1f} s")
        return (f"imported {self.rows:,} {self.kind} ({self.created:,} new, {self.updated:,} updated) "
                f"in {self.seconds:.1f} s")

    def to_dict(self) -> dict:
        body = {"kind": self.kind, "name": self.name, "rows": self.rows}
        if self.kind == "stock":
            body.update(movements=self.movements, already_imported=self.duplicates)
        else:
            body.update(created=self.created, updated=self.updated)
        body.update(seconds=round(self.seconds, 3), summary=self.summary())
        return body
