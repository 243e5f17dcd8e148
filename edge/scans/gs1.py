"""GS1 data in a scan: biip does the parsing, this module adds the strictness.

biip splits element strings, HRI text and Digital Link URIs into AIs using its
own AI table, and already refuses impossible dates. What it lets through, and
we refuse, is: GTIN/SSCC/GLN check digits inside AIs (biip only records them as
`gtin_error`/`sscc_error`), the same AI twice with different values (biip keeps
both, or silently keeps the last in a Digital Link query), empty AIs in HRI
text, empty values for AIs 30 and 7004, and non-ASCII characters (Python's `\\d`
accepts Arabic-Indic digits).

Every function here either returns the `gs1` dict described in docs/scans.md
or raises a GS1Error whose message is fit to show on a handheld.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

GS = "\x1d"


class ScanError(Exception):
    """Base class for errors about what a scan contains."""


class GS1Error(ScanError):
    """Data that is meant to be GS1 but is not valid GS1."""


class MalformedGS1Error(GS1Error):
    """GS1 data that cannot be split into known AIs with well-formed values."""


class CheckDigitError(GS1Error):
    """A GTIN, SSCC or GLN whose check digit does not match."""


class DateError(GS1Error):
    """A date AI whose value is not a real calendar date."""


class ConflictingAIError(GS1Error):
    """The same AI appears more than once with different values."""


# Words for the date AIs a picker reads on a carton; the rest fall back to
# biip's data title.
_DATE_LABELS = {
    "11": "production date",
    "12": "due date",
    "13": "packaging date",
    "15": "best before",
    "16": "sell by",
    "17": "expiry",
}
_DIGITS = re.compile(r"[0-9]+")
_HRI_START = re.compile(r"\s*\((\d{2,4})\)")
# A Digital Link is recognised by a GTIN or SSCC key in its path; other
# primary keys (GLN, GRAI...) only count once biip accepts the whole URI.
_DL_KEY = re.compile(r"/0[01]/[^/?#]")


def check_digit_problem(label: str, digits: str) -> str | None:
    """The error text for a GS1 mod-10 number with a wrong check digit, else None."""
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) == expected:
        return None
    return f"{label} {digits} has a bad check digit (expected {expected})"


def is_known_ai(text: str) -> bool:
    """True when text is exactly one AI from biip's table, e.g. "01" or "3103"."""
    try:
        return GS1ApplicationIdentifier.extract(text).ai == text
    except Exception:  # biip raises ParseError, but garbage may find others
        return False


def starts_with_known_ai(text: str) -> bool:
    try:
        GS1ApplicationIdentifier.extract(text)
    except Exception:
        return False
    return True


def looks_like_hri(text: str) -> bool:
    """True for human-readable GS1 like "(01)09506000134352(10)ABC"."""
    match = _HRI_START.match(text)
    return match is not None and is_known_ai(match.group(1))


def looks_like_element_string(text: str) -> bool:
    """True when unprefixed text is plainly a GS1 element string.

    A leading GS is FNC1 in first position. A GS further in, after a known
    AI, is a field separator. Without any GS we only trust the keys a
    warehouse acts on, SSCC (00) or GTIN (01/02) with their full digits,
    because short codes like "10ABC" or "1712" parse as GS1 by accident.
    """
    if text.startswith(GS):
        return True
    if GS in text and starts_with_known_ai(text):
        return True
    return re.match(r"(?:00[0-9]{18}|0[12][0-9]{14})", text) is not None


def looks_like_digital_link(text: str) -> bool:
    """True for an http(s) URI with a GTIN or SSCC key in its path."""
    if not re.match(r"https?://", text, re.IGNORECASE):
        return False
    if _DL_KEY.search(_path_of(text)):
        return True
    try:
        GS1DigitalLinkURI.parse(text)
    except Exception:
        return False
    return True


def parse_element_string(text: str) -> dict:
    """Parse FNC1/GS-separated GS1 data (GS1-128, GS1 DataMatrix, GS1 QR)."""
    body = text.strip(GS)
    if not body.strip():
        raise MalformedGS1Error("the scan holds no GS1 data")
    try:
        message = GS1Message.parse(body)
    except Exception as exc:
        raise _explain_element_string(body) from exc
    if not message.element_strings:  # biip reads blank padding as an empty message
        raise MalformedGS1Error("the scan holds no GS1 data")
    return summarise(message.element_strings)


def parse_hri(text: str) -> dict:
    """Parse GS1 data written with the AIs in parentheses."""
    for ai, value in re.findall(r"\((\d+)\)([^(]*)", text):
        # biip skips an AI with nothing after it; a label missing its lot is broken.
        if not value.strip():
            raise MalformedGS1Error(f"AI {ai} has no value")
    try:
        message = GS1Message.parse_hri(text)
    except Exception as exc:
        raise _explain_pairs(re.findall(r"\((\d+)\)([^(]+)", text), exc) from exc
    return summarise(message.element_strings)


def parse_digital_link(uri: str) -> dict:
    """Parse a GS1 Digital Link URI, including AIs in its query string."""
    _refuse_empty_query_values(uri)
    try:
        link = GS1DigitalLinkURI.parse(uri)
    except Exception as exc:
        raise _explain_pairs(_digital_link_pairs(uri), exc) from exc
    _refuse_query_conflicts(uri)
    return summarise(link.element_strings)


def summarise(element_strings: Iterable[GS1ElementString]) -> dict:
    """Check biip's element strings harder, then flatten them into the gs1 dict."""
    elements = list(element_strings)
    values: dict[str, list[str]] = {}
    first: dict[str, GS1ElementString] = {}
    for element in elements:
        _refuse_bad_element(element)
        values.setdefault(element.ai.ai, []).append(element.value)
        first.setdefault(element.ai.ai, element)
    for ai, seen in values.items():
        _refuse_conflict(ai, seen)
    _refuse_measure_conflict(first)
    return _flatten(first)


def _refuse_measure_conflict(first: dict[str, GS1ElementString]) -> None:
    # 3103 (kg, 3 decimals) and 3102 (kg, 2 decimals) are one measure written two
    # ways; GS1 allows one of them per label, and two different weights mean neither
    # can be trusted. The same weight written both ways is harmless.
    by_measure: dict[str, dict[str, float]] = {}
    for ai, element in first.items():
        if len(ai) == 4 and "310" <= ai[:3] <= "369" and element.decimal is not None:
            by_measure.setdefault(ai[:3], {})[ai] = float(element.decimal)
    for found in by_measure.values():
        (a, x), *others = found.items()
        differing = [(b, y) for b, y in others if y != x]
        if differing:
            b, y = differing[0]
            raise ConflictingAIError(f"AI {a} and AI {b} give the same measure with different values: "
                                     f"{_number(x)} and {_number(y)}")


def _number(value: float) -> str:
    return f"{value:f}".rstrip("0").rstrip(".")


def _refuse_conflict(ai: str, seen: list[str]) -> None:
    # Printing the same AI twice happens on real labels and is harmless;
    # two different lots on one carton means nobody can trust either.
    if len(set(seen)) > 1:
        times = "twice" if len(seen) == 2 else f"{len(seen)} times"
        shown = " and ".join(repr(v) for v in dict.fromkeys(seen))
        raise ConflictingAIError(f"AI {ai} appears {times} with different values: {shown}")


def _flatten(first: dict[str, GS1ElementString]) -> dict:
    out: dict = {}
    for ai, key in (("01", "gtin"), ("02", "content_gtin"), ("10", "lot"),
                    ("21", "serial"), ("00", "sscc")):
        if ai in first:
            out[key] = first[ai].value
    # AI 30 counts pieces of a variable item, 37 counts trade items on a
    # logistic unit; they never describe the same thing, so 30 goes first.
    for ai in ("30", "37"):
        if ai in first:
            out["count"] = int(first[ai].value)
            break
    for ai, key in (("17", "expiry"), ("15", "best_before")):
        if ai in first and first[ai].date is not None:
            out[key] = first[ai].date.isoformat()
    for ai, element in first.items():
        if len(ai) == 4 and ai.startswith("310") and element.decimal is not None:
            out["net_weight_kg"] = float(element.decimal)
            break
    out["ais"] = {ai: element.value for ai, element in first.items()}
    return out


def _refuse_bad_element(element: GS1ElementString) -> None:
    ai, value = element.ai.ai, element.value
    # biip's patterns for AI 30 and 7004 allow zero digits ("N..8" means 1 to 8).
    if not value:
        raise MalformedGS1Error(f"AI {ai} ({element.ai.data_title}) has no value")
    if not value.isascii():
        raise MalformedGS1Error(f"AI {ai} value {value!r} has characters GS1 does not allow")
    if ai == "00":
        label = "SSCC"
    elif ai == "02":
        label = "content GTIN"
    elif ai in ("01", "03"):
        label = "GTIN"
    elif element.gln_error is not None:
        label = "GLN"
    else:
        return
    if not _DIGITS.fullmatch(value):
        raise MalformedGS1Error(f"{label} {value!r} must be digits")
    problem = check_digit_problem(label, value)
    if problem:
        raise CheckDigitError(problem)
    # A digit-perfect value biip still rejected (wrong length for the key).
    error = element.gtin_error or element.sscc_error or element.gln_error
    if error:
        raise MalformedGS1Error(f"{label} {value} is not valid: {error}")


def _explain_element_string(body: str) -> GS1Error:
    """Walk the data the way biip does to say which AI broke it."""
    rest = body
    while rest:
        try:
            element = GS1ElementString.extract(rest)
        except Exception as exc:
            return _explain_at(rest, exc)
        rest = rest[len(element):].lstrip(GS)
    return MalformedGS1Error(f"could not read GS1 data {body!r}")


def _explain_at(rest: str, exc: Exception) -> GS1Error:
    try:
        ai = GS1ApplicationIdentifier.extract(rest)
    except Exception:
        return MalformedGS1Error(f"no known GS1 AI at {rest[:20]!r}")
    value = rest[len(ai.ai):].split(GS, 1)[0]
    return _explain_value(ai, value, exc)


def _explain_pairs(pairs: Iterable[tuple[str, str]], exc: Exception) -> GS1Error:
    for ai_text, value in pairs:
        if not is_known_ai(ai_text):
            continue
        try:
            GS1ElementString.parse(f"{ai_text}{value}")
        except Exception as inner:
            return _explain_value(GS1ApplicationIdentifier.extract(ai_text), value, inner)
    return MalformedGS1Error(f"not valid GS1: {exc}")


def _explain_value(ai: GS1ApplicationIdentifier, value: str, exc: Exception) -> GS1Error:
    label = _DATE_LABELS.get(ai.ai)
    if label is not None:
        date = value[:6]
        if _DIGITS.fullmatch(date) and len(date) == 6:
            return DateError(f"AI {ai.ai} {label} {date} is not a real date")
        return DateError(f"AI {ai.ai} {label} must be 6 digits YYMMDD, got {value!r}")
    if not value:
        return MalformedGS1Error(f"AI {ai.ai} ({ai.data_title}) has no value")
    return MalformedGS1Error(
        f"AI {ai.ai} ({ai.data_title}) value {value!r} does not fit format {ai.format}"
    )


def _path_of(uri: str) -> str:
    try:
        return urlsplit(uri).path
    except ValueError:  # e.g. an unclosed IPv6 bracket in the host
        return ""


def _query_of(uri: str) -> str:
    try:
        return urlsplit(uri).query
    except ValueError:
        return ""


def _digital_link_pairs(uri: str) -> list[tuple[str, str]]:
    """(AI, value) pairs from a URI's path and query, for error messages only."""
    segments = _path_of(uri).split("/")
    while segments and not is_known_ai(segments[0]):
        segments.pop(0)
    pairs = [
        (segments[i], unquote(segments[i + 1])) for i in range(0, len(segments) - 1, 2)
    ]
    # biip pads a short GTIN in the path; explain it the way biip read it.
    pairs = [(ai, v.zfill(14) if ai == "01" else v) for ai, v in pairs]
    return pairs + parse_qsl(_query_of(uri), keep_blank_values=True)


def _refuse_query_conflicts(uri: str) -> None:
    # biip keeps only the last value of a repeated query parameter.
    for key, seen in parse_qs(_query_of(uri), keep_blank_values=True).items():
        if is_known_ai(key):
            _refuse_conflict(key, seen)


def _refuse_empty_query_values(uri: str) -> None:
    # biip drops "?17=" without a word; a label missing its expiry is broken.
    for key, value in parse_qsl(_query_of(uri), keep_blank_values=True):
        if is_known_ai(key) and not value.strip():
            raise MalformedGS1Error(f"AI {key} has no value")
