"""interpret(): the shared vectors, precedence, and never raising on any text."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.scans import KINDS, CatalogError, DictCatalog, interpret

VECTORS = json.loads((Path(__file__).parent / "data" / "scan_vectors.json").read_text())
CATALOG = DictCatalog.from_json(VECTORS["catalog"])
GS = "\x1d"


def run(case):
    return interpret(
        case["code"],
        case["symbology"],
        catalog=CATALOG,
        gs_substitute=case.get("gs_substitute"),
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_vector(case):
    answer = run(case)
    assert answer["raw"] == case["code"]
    expect = dict(case["expect"])
    error_contains = expect.pop("error_contains", None)
    absent = expect.pop("absent", [])
    for key, value in expect.items():
        assert answer.get(key, "<missing>") == value, key
    if error_contains is not None:
        assert error_contains in answer["error"]
    for key in absent:
        assert key not in answer
    if answer["kind"] == "invalid":
        assert answer["error"]
    json.dumps(answer)


def test_vectors_cover_every_kind_and_prefix():
    cases = VECTORS["cases"]
    assert len(cases) >= 40
    assert {run(c)["kind"] for c in cases} == KINDS
    prefixes = {c["code"][:3] for c in cases if c["code"].startswith("]")}
    for aim_id in ("]C0", "]C1", "]E0", "]E4", "]e0", "]d1", "]d2", "]Q1", "]Q3", "]I1"):
        assert aim_id in prefixes
    assert any(GS in c["code"] for c in cases)
    assert {c.get("gs_substitute") for c in cases} >= {"~", "|", "<GS>"}


def test_vector_file_uses_json_escapes_for_gs():
    text = (Path(__file__).parent / "data" / "scan_vectors.json").read_text()
    assert GS not in text
    assert "\\u001d" in text


def test_raw_is_kept_exactly_and_noise_is_ignored():
    answer = interpret("A-01-01\r\n\t", catalog=CATALOG)
    assert answer["raw"] == "A-01-01\r\n\t"
    assert answer["kind"] == "bin"


def test_aim_prefix_beats_passed_symbology():
    answer = interpret("]E09506000134352", "ean_13", catalog=CATALOG)
    assert answer["symbology"] == "]E0"


def test_no_symbology_is_none():
    assert interpret("HELLO", catalog=CATALOG)["symbology"] is None


def test_bin_wins_over_an_item_with_the_same_code():
    catalog = DictCatalog(
        bins={"9506000134352": {"zone": "A", "kind": "shelf"}},
        barcodes={"9506000134352": {"sku": "W", "pack_qty": 1, "item": {}}},
    )
    assert interpret("9506000134352", catalog=catalog)["kind"] == "bin"


def test_gtin_lookup_tries_shorter_forms():
    catalog = DictCatalog(barcodes={"96385074": {"sku": "GUM", "pack_qty": 1, "item": {}}})
    answer = interpret("]C10100000096385074", catalog=catalog)
    assert answer["kind"] == "gs1"
    assert answer["sku"] == "GUM"


def test_unknown_gtin_is_reported_as_gtin_14():
    answer = interpret("96385074", catalog=DictCatalog())
    assert answer == {"raw": "96385074", "kind": "unknown", "symbology": None,
                      "gtin": "00000096385074"}


def test_ean_8_hint_refuses_the_upc_e_reading():
    # 04252614 is a valid UPC-E but not a valid EAN-8.
    answer = interpret("]E404252614", catalog=DictCatalog())
    assert answer["kind"] == "invalid"
    assert "04252614 has a bad check digit" in answer["error"]


def test_camera_format_name_upc_e_reads_eight_digits_as_upc_e():
    answer = interpret("04252614", "upc_e", catalog=DictCatalog())
    assert answer["gtin"] == "00042100005264"
    assert answer["symbology"] == "upc_e"


def test_empty_substitute_is_ignored():
    answer = interpret("A-01-01", catalog=CATALOG, gs_substitute="")
    assert answer["kind"] == "bin"


def test_substitute_does_not_touch_a_digital_link():
    code = "https://id.gs1.org/01/09506000134352/10/A*B"
    answer = interpret(code, catalog=CATALOG, gs_substitute="*")
    assert answer["gs1"]["lot"] == "A*B"


def test_unbracketed_ipv6_url_is_just_unknown():
    assert interpret("http://[", catalog=CATALOG)["kind"] == "unknown"


def test_non_text_scan_is_invalid_not_a_crash():
    answer = interpret(None, catalog=CATALOG)
    assert answer["kind"] == "invalid"
    assert "must be text" in answer["error"]


class BrokenCatalog(DictCatalog):
    def bin(self, code):
        raise OSError("database is locked")


def test_a_failing_catalog_is_reported_not_hidden():
    with pytest.raises(CatalogError, match="database is locked"):
        interpret("A-01-01", catalog=BrokenCatalog())


class SloppyCatalog(DictCatalog):
    def bin(self, code):
        return "not a dict"


def test_a_bug_is_logged_and_answered_as_unknown(caplog):
    answer = interpret("A-01-01", catalog=SloppyCatalog())
    assert answer["kind"] == "unknown"
    assert answer["error"].startswith("could not interpret this scan")
    assert "could not interpret scan 'A-01-01'" in caplog.text


def check_answer(code, answer):
    assert answer["raw"] == code
    assert answer["kind"] in KINDS
    if answer["kind"] == "invalid":
        assert isinstance(answer["error"], str) and answer["error"]
    json.dumps(answer)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(code):
    check_answer(code, interpret(code, catalog=CATALOG))


# Random text rarely reaches the GS1 parsers; this builds scans that do.
_pieces = st.sampled_from([
    "]C1", "]d2", "]Q3", "]e0", "]E0", "]E4", "]I1", "]Q1", "]", GS, "~", "(", ")",
    "00", "01", "02", "10", "17", "21", "30", "37", "3103", "99", "8006", "414",
    "09506000134352", "106141412345678908", "261231", "261332", "000525",
    "https://id.gs1.org/", "/01/", "/10/", "?17=", "&", "%", "\r\n", "A", "٣",
])
_scans = st.lists(st.one_of(_pieces, st.text(max_size=3)), max_size=12).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_scans, st.one_of(st.none(), st.sampled_from(["]C1", "]d2", "qr_code", "upc_e"])),
       st.one_of(st.none(), st.sampled_from(["~", "|", "<GS>", "("])))
def test_never_raises_on_gs1_shaped_text(code, symbology, substitute):
    answer = interpret(code, symbology, catalog=CATALOG, gs_substitute=substitute)
    check_answer(code, answer)
    assert "error" not in answer or answer["kind"] == "invalid"
