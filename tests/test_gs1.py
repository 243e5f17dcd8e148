"""edge.scans.gs1: what biip parses, and the strictness we add on top."""

import pytest

from edge.scans import CheckDigitError, ConflictingAIError, DateError, MalformedGS1Error
from edge.scans import gs1

GS = "\x1d"


def test_element_string_fields():
    info = gs1.parse_element_string(
        "0109506000134352" "17270600" "10LOT1" + GS + "21SER9" + GS + "3024"
    )
    assert info == {
        "gtin": "09506000134352",
        "lot": "LOT1",
        "serial": "SER9",
        "count": 24,
        "expiry": "2027-06-30",
        "ais": {"01": "09506000134352", "17": "270600", "10": "LOT1",
                "21": "SER9", "30": "24"},
    }


def test_leading_and_trailing_gs_are_fnc1_not_data():
    info = gs1.parse_element_string(GS + "0109506000134352" + GS)
    assert info["gtin"] == "09506000134352"


def test_day_00_is_the_last_day_of_the_month():
    assert gs1.parse_element_string("0109506000134352" "17280200")["expiry"] == "2028-02-29"
    assert gs1.parse_element_string("0109506000134352" "17270200")["expiry"] == "2027-02-28"
    assert gs1.parse_element_string("0109506000134352" "15271100")["best_before"] == "2027-11-30"


@pytest.mark.parametrize(("ai", "digits", "kg"), [
    ("3100", "000005", 5.0),
    ("3101", "000125", 12.5),
    ("3103", "000525", 0.525),
    ("3105", "123456", 1.23456),
])
def test_net_weight_310x_uses_x_as_decimal_places(ai, digits, kg):
    info = gs1.parse_element_string(f"0109506000134352{ai}{digits}")
    assert info["net_weight_kg"] == pytest.approx(kg)
    assert info["ais"][ai] == digits


def test_count_37_on_a_pallet():
    info = gs1.parse_element_string("00106141412345678908" "0209506000134352" "3712")
    assert info["count"] == 12
    assert info["content_gtin"] == "09506000134352"
    assert "gtin" not in info


def test_keys_that_do_not_apply_are_omitted():
    assert gs1.parse_element_string("10ABC") == {"lot": "ABC", "ais": {"10": "ABC"}}


def test_bad_gtin_check_digit():
    message = r"^GTIN 09506000134353 has a bad check digit \(expected 2\)$"
    with pytest.raises(CheckDigitError, match=message):
        gs1.parse_element_string("0109506000134353")


def test_bad_content_gtin_check_digit():
    with pytest.raises(CheckDigitError, match="content GTIN 09506000134353"):
        gs1.parse_element_string("0209506000134353")


def test_bad_sscc_check_digit():
    message = r"SSCC 106141412345678909 has a bad check digit \(expected 8\)"
    with pytest.raises(CheckDigitError, match=message):
        gs1.parse_element_string("00106141412345678909")


def test_bad_gln_check_digit():
    # 414 is "physical location" GLN; biip only notes the error.
    with pytest.raises(CheckDigitError, match="GLN 5412345000014"):
        gs1.parse_element_string("4145412345000014")


@pytest.mark.parametrize(("data", "message"), [
    ("17261332", "AI 17 expiry 261332 is not a real date"),
    ("17270230", "AI 17 expiry 270230 is not a real date"),
    ("15270000", "AI 15 best before 270000 is not a real date"),
    ("11270431", "AI 11 production date 270431 is not a real date"),
    ("13270229", "AI 13 packaging date 270229 is not a real date"),
    ("16271301", "AI 16 sell by 271301 is not a real date"),
    ("172612", "AI 17 expiry must be 6 digits YYMMDD, got '2612'"),
])
def test_impossible_dates(data, message):
    with pytest.raises(DateError) as error:
        gs1.parse_element_string("0109506000134352" + data)
    assert str(error.value) == message


def test_repeated_identical_ai_is_fine():
    info = gs1.parse_element_string("10ABC" + GS + "0109506000134352" "10ABC")
    assert info["lot"] == "ABC"


def test_repeated_ai_with_different_values():
    message = "AI 10 appears twice with different values: 'ABC' and 'DEF'"
    with pytest.raises(ConflictingAIError, match=message):
        gs1.parse_element_string("10ABC" + GS + "10DEF")


def test_repeated_ai_three_times():
    with pytest.raises(ConflictingAIError, match="AI 21 appears 3 times"):
        gs1.parse_element_string("21A" + GS + "21A" + GS + "21B")


def test_unknown_ai_is_named_in_the_error():
    with pytest.raises(MalformedGS1Error, match="no known GS1 AI at 'XYZ'"):
        gs1.parse_element_string("0109506000134352XYZ")


def test_empty_data():
    with pytest.raises(MalformedGS1Error, match="no GS1 data"):
        gs1.parse_element_string(GS)


def test_non_ascii_digits_are_refused():
    # Python's \d, and so biip's patterns, accept Arabic-Indic digits.
    with pytest.raises(MalformedGS1Error, match="characters GS1 does not allow"):
        gs1.parse_element_string("30" + "٣٣")


def test_empty_count_is_refused():
    # biip's pattern for AI 30 is \d{0,8}.
    with pytest.raises(MalformedGS1Error, match="AI 30 .* has no value"):
        gs1.parse_element_string("30" + GS + "10ABC")


def test_hri():
    info = gs1.parse_hri("(01)19506000134359(10)LOT9(17)270100")
    assert info["gtin"] == "19506000134359"
    assert info["expiry"] == "2027-01-31"


def test_hri_with_an_empty_ai_is_refused():
    # biip would silently drop the (01).
    with pytest.raises(MalformedGS1Error, match="AI 01 has no value"):
        gs1.parse_hri("(01)(10)ABC")


def test_hri_date_error_names_the_ai():
    with pytest.raises(DateError, match="AI 17 expiry 271232 is not a real date"):
        gs1.parse_hri("(01)09506000134352(17)271232")


def test_digital_link_path_and_query():
    info = gs1.parse_digital_link(
        "https://id.gs1.org/01/09506000134352/10/ABC/21/S%2F1?17=261231&3103=000525&linkType=all"
    )
    assert info == {
        "gtin": "09506000134352",
        "lot": "ABC",
        "serial": "S/1",
        "expiry": "2026-12-31",
        "net_weight_kg": 0.525,
        "ais": {"01": "09506000134352", "10": "ABC", "21": "S/1",
                "17": "261231", "3103": "000525"},
    }


def test_digital_link_pads_a_short_gtin():
    assert gs1.parse_digital_link("https://x.example/01/9506000134352")["gtin"] == "09506000134352"


def test_digital_link_repeated_query_ai_that_biip_would_collapse():
    with pytest.raises(ConflictingAIError, match="AI 17 appears twice"):
        gs1.parse_digital_link("https://id.gs1.org/01/09506000134352?17=261231&17=270101")


def test_digital_link_repeated_identical_query_ai_is_fine():
    info = gs1.parse_digital_link("https://id.gs1.org/01/09506000134352?17=261231&17=261231")
    assert info["expiry"] == "2026-12-31"


def test_digital_link_bad_check_digit():
    message = r"GTIN 09506000134353 has a bad check digit \(expected 2\)"
    with pytest.raises(CheckDigitError, match=message):
        gs1.parse_digital_link("https://id.gs1.org/01/09506000134353")


def test_digital_link_bad_short_gtin_reports_the_padded_form():
    with pytest.raises(CheckDigitError, match="GTIN 09506000134353"):
        gs1.parse_digital_link("https://id.gs1.org/01/9506000134353")


def test_digital_link_bad_date_in_query():
    with pytest.raises(DateError, match="AI 17 expiry 261332 is not a real date"):
        gs1.parse_digital_link("https://id.gs1.org/01/09506000134352?17=261332")


def test_digital_link_with_odd_path_is_malformed():
    with pytest.raises(MalformedGS1Error, match="not valid GS1"):
        gs1.parse_digital_link("https://id.gs1.org/01/09506000134352/10")


def test_digital_link_garbage_host_does_not_escape_as_value_error():
    with pytest.raises(MalformedGS1Error):
        gs1.parse_digital_link("http://[/01/09506000134352")


@pytest.mark.parametrize(("text", "expected"), [
    ("https://id.gs1.org/01/09506000134352", True),
    ("http://brand.example/p/00/106141412345678908", True),
    ("https://id.gs1.org/414/5412345000013", True),
    ("https://example.com/about", False),
    ("https://example.com/01", False),
    ("ftp://id.gs1.org/01/09506000134352", False),
    ("01/09506000134352", False),
])
def test_looks_like_digital_link(text, expected):
    assert gs1.looks_like_digital_link(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    (GS + "10ABC", True),
    ("10ABC" + GS + "21X", True),
    ("0109506000134352", True),
    ("00106141412345678908", True),
    ("10ABC", False),
    ("09506000134352", False),
    ("HELLO" + GS + "WORLD", False),
])
def test_looks_like_element_string(text, expected):
    assert gs1.looks_like_element_string(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("(01)09506000134352", True),
    ("(00)106141412345678908", True),
    ("(1)23", False),
    ("(555)x", False),
    ("(note) fragile", False),
])
def test_looks_like_hri(text, expected):
    assert gs1.looks_like_hri(text) is expected
