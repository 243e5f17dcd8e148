"""Read a CSV file the way a person sees it in an editor.

Every row carries the physical line it starts on (the header is line 1 when
it is the first line), counted correctly across quoted fields that hold line
breaks. Empty cells are left out of a row so the model's default applies.
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from typing import Iterator

from edge.csvio.report import RowError

# In order of preference when several would fit the header equally well.
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


class Unreadable(Exception):
    """The file cannot be read as a table at all; its errors are the whole answer."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Row:
    line: int          # where the row starts
    end: int           # where it ends (a quoted field may span lines)
    cells: dict[str, str] = field(default_factory=dict)
    error: RowError | None = None


def decode(data: bytes) -> str:
    """UTF-8, with or without a byte order mark; anything else is refused clearly."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable([RowError(1, None, "the file is UTF-16 text; save it as 'CSV UTF-8' instead")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable([RowError(line, None, (
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read); "
            "save it as 'CSV UTF-8' and import it again"))]) from None


def first_line(text: str) -> str:
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return line
    return ""


def _names(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
    return [normalise(c) for c in cells]


def normalise(name: str) -> str:
    return name.strip().lower()


def sniff_delimiter(text: str, columns: list[str]) -> str:
    """The delimiter that makes the most header cells known column names.

    Spreadsheets in many locales save "CSV" with semicolons, so guessing from
    the header beats asking; a comma wins every tie.
    """
    line = first_line(text)
    known = set(columns)
    best, score = ",", 0
    for d in DELIMITERS:
        hits = sum(1 for n in _names(line, d) if n in known)
        if hits > score:
            best, score = d, hits
    return best


def read_header(cells: list[str], line: int, columns: list[str], required: list[str],
                kind: str) -> list[str | None]:
    """Column names by position (None for a nameless column); raises on a bad header."""
    names = [normalise(c) or None for c in cells]
    errors: list[RowError] = []
    seen: set[str] = set()
    for n in names:
        if n is None:
            continue
        if n in seen:
            errors.append(RowError(line, n, "the column appears more than once in the header"))
        elif n not in columns:
            errors.append(RowError(line, n, f"unknown column; {kind} columns are: {', '.join(columns)}"
                                             + _delimiter_hint(n)))
        seen.add(n)
    for n in required:
        if n not in seen:
            errors.append(RowError(line, n, "required column is missing from the header"))
    if errors:
        raise Unreadable(errors)
    return names


def _delimiter_hint(name: str) -> str:
    for d in DELIMITERS:
        if d in name:
            return (f" (the header holds a {DELIMITER_NAMES[d]} ({d!r}): separate the columns with one "
                    "delimiter, a comma, semicolon, tab or bar ('|'))")
    return ""


def _cells(n: int) -> str:
    return "1 cell" if n == 1 else f"{n} cells"


def _other_delimiter(cells: list[str], delimiter: str) -> str:
    text = delimiter.join(cells)
    for d in DELIMITERS:
        if d != delimiter and d in text:
            return (f" (the row is separated by {DELIMITER_NAMES[d]}s, the header by "
                    f"{DELIMITER_NAMES[delimiter]}s: use one delimiter throughout)")
    return ""


def read_rows(text: str, *, columns: list[str], required: list[str], kind: str) -> Iterator[Row]:
    """Data rows after the header. Raises :class:`Unreadable` before the first
    row when the header is wrong or there is no header at all."""
    if not text.strip():
        raise Unreadable([RowError(1, None, f"the file is empty; the first line must name the columns, "
                                            f"e.g. {','.join(columns[:4])}")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text, columns), strict=True)
    names: list[str | None] | None = None
    done = 0
    while True:
        start = done + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            error = RowError(start, None, f"the row cannot be read as CSV: {exc} "
                                          "(look for a stray or unclosed double quote)")
            done = reader.line_num
            if names is None:
                raise Unreadable([error]) from None
            yield Row(start, done, error=error)
            continue
        done = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines and rows of empty cells carry nothing
        if names is None:
            names = read_header(cells, start, columns, required, kind)
            # Trailing nameless columns (a spreadsheet's stray commas) may be left off a row.
            width = max(i for i, n in enumerate(names) if n is not None) + 1
            continue
        yield _row(start, done, cells, names, width, reader.dialect.delimiter)


def _row(start: int, end: int, cells: list[str], names: list[str | None], width: int, delimiter: str) -> Row:
    if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
        return Row(start, end, error=RowError(start, None, (
            f"the row has {_cells(len(cells))} but the header names {len(names)} columns "
            "(a delimiter inside a value that is not in double quotes?)")))
    if len(cells) < width:
        return Row(start, end, error=RowError(start, None, (
            f"the row has {_cells(len(cells))} but the header names {width} columns"
            + _other_delimiter(cells, delimiter))))
    out: dict[str, str] = {}
    for name, value in zip(names, cells):
        if not value.strip():
            continue
        if name is None:
            return Row(start, end, error=RowError(start, None, (
                f"a value ({value!r}) sits under a column with no name in the header")))
        out[name] = value
    return Row(start, end, out)
