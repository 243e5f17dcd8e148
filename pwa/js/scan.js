// What is this scan? The handheld's copy of edge/scans/interpret.py, used to
// check a scan against the cached task without a network round trip. Same
// order of reading (docs/scans.md), same answers, same shared test vectors.
import {
  GS, GS1Error, checkDigit, checkDigitProblem, isUri, looksLikeDigitalLink,
  looksLikeElementString, looksLikeHri, parseDigitalLink, parseElementString, parseHri,
} from "./gs1.js";

const AIM = /^\][A-Za-z][0-9A-Za-z]/;
// AIM identifiers that promise GS1 data (FNC1 mode), as biip lists them,
// plus the composite variants ]e1 and ]e2.
const GS1_AIMS = new Set(["]C1", "]e0", "]e1", "]e2", "]d2", "]Q3", "]J1"]);
const EAN_UPC = "]E0";
const EAN_8 = "]E4";
// Camera decoders name formats; only the names that change how digits read.
const FORMAT_NAMES = { upce: EAN_UPC, ean8: EAN_8 };

/** [AIM identifier or null, the data after it]. */
export function splitAim(code) {
  return AIM.test(code) ? [code.slice(0, 3), code.slice(3)] : [null, code];
}

export function aimFromSymbology(symbology) {
  if (typeof symbology !== "string") return null;
  if (/^\][A-Za-z][0-9A-Za-z]$/.test(symbology)) return symbology;
  return FORMAT_NAMES[symbology.toLowerCase().replace(/[^a-z0-9]/g, "")] ?? null;
}

/** A catalog over plain objects keyed by code (the shape of scan_vectors.json). */
export class DictCatalog {
  constructor({ bins = {}, barcodes = {}, badges = {}, documents = {} } = {}) {
    Object.assign(this, { bins, barcodes, badges, documents });
  }

  bin(code) {
    const record = own(this.bins, code);
    return record ? { code, ...record } : null;
  }

  barcode(code) { return copy(own(this.barcodes, code)); }

  badge(code) { return copy(own(this.badges, code)); }

  document(code) { return copy(own(this.documents, code)); }
}

function own(table, code) {
  return Object.hasOwn(table, code) ? table[code] : null;
}

function copy(record) {
  return record ? { ...record } : null;
}

/**
 * Say what a scan is. Never throws for any input text; the catalog is
 * anything with bin/barcode/badge/document(code) -> record or null.
 */
export function interpret(code, symbology = null, { catalog = new DictCatalog(), gsSubstitute = null } = {}) {
  if (typeof code !== "string") {
    return { raw: code, kind: "invalid", symbology, error: `a scan must be text, got ${typeof code}` };
  }
  const [aim, data] = splitAim(code.replace(/[\r\n\t]+$/, ""));
  const answer = { raw: code, kind: "unknown", symbology: aim ?? symbology };
  const hint = aim ?? aimFromSymbology(symbology);
  try {
    Object.assign(answer, read(data, hint, catalog, gsSubstitute));
  } catch (error) {
    if (error instanceof GS1Error) Object.assign(answer, { kind: "invalid", error: error.message });
    else Object.assign(answer, { kind: "unknown", error: `could not interpret this scan (${error.message})` });
  }
  return answer;
}

function read(data, hint, catalog, gsSubstitute) {
  if (data) {
    const known = exact(catalog, data);
    if (known) return known;
  }
  const text = gsSubstitute ? data.split(gsSubstitute).join(GS) : data;
  const promised = GS1_AIMS.has(hint);
  if (promised && !text.replace(new RegExp(`[${GS} ]`, "g"), "")) {
    throw new GS1Error(`the ${hint} symbol carries no data`);
  }
  // The substitute stands in for separators in element strings only; "~" or
  // "|" may legitimately appear in a URI.
  if (looksLikeDigitalLink(data) || (promised && isUri(data))) return fromGs1(parseDigitalLink(data), catalog);
  if (looksLikeHri(text)) return fromGs1(parseHri(text), catalog);
  if (promised || looksLikeElementString(text)) return fromGs1(parseElementString(text), catalog);
  return plain(text, hint, catalog);
}

function exact(catalog, code) {
  let record = catalog.bin(code);
  if (record) return { kind: record.kind === "tote" ? "tote" : "bin", bin: record };
  record = catalog.badge(code);
  if (record) return { kind: "badge", user: record };
  record = catalog.document(code);
  if (record) return { kind: "document", document: record };
  record = catalog.barcode(code);
  if (record) return { kind: "item", ...itemFields(record) };
  return null;
}

function itemFields(record) {
  return { sku: record.sku, pack_qty: record.pack_qty, item: record.item };
}

/** The GTIN-14 and the shorter forms a catalog may have stored it under. */
export function gtinForms(gtin14) {
  const forms = [gtin14];
  for (const length of [13, 12, 8]) {
    if (/^0*$/.test(gtin14.slice(0, 14 - length))) forms.push(gtin14.slice(14 - length));
  }
  return forms;
}

function itemForGtin(catalog, gtin14) {
  for (const form of gtinForms(gtin14)) {
    const record = catalog.barcode(form);
    if (record) return record;
  }
  return null;
}

function fromGs1(info, catalog) {
  if ("gtin" in info) {
    const record = itemForGtin(catalog, info.gtin);
    return record ? { kind: "gs1", gs1: info, ...itemFields(record) } : { kind: "gs1", gs1: info };
  }
  if ("sscc" in info) return { kind: "sscc", sscc: info.sscc, gs1: info };
  return { kind: "gs1", gs1: info };
}

function plain(text, hint, catalog) {
  if (!/^[0-9]+$/.test(text) || ![8, 12, 13, 14].includes(text.length)) return { kind: "unknown" };
  const gtin14 = toGtin14(text, hint);
  const record = itemForGtin(catalog, gtin14);
  return record ? { kind: "item", ...itemFields(record) } : { kind: "unknown", gtin: gtin14 };
}

// Eight digits are EAN-8 unless the scanner said ]E0 (UPC-E). Without a hint
// a failed EAN-8 check falls back to UPC-E: wedge scanners often send UPC-E
// unexpanded and without an AIM prefix.
function toGtin14(digits, hint) {
  if (digits.length === 8 && hint === EAN_UPC) return upcEAsGtin14(digits);
  const problem = checkDigitProblem("GTIN", digits);
  if (problem && digits.length === 8 && hint !== EAN_8) {
    try {
      return upcEAsGtin14(digits);
    } catch (error) {
      if (!(error instanceof GS1Error)) throw error;
    }
  }
  if (problem) throw new GS1Error(problem);
  return digits.padStart(14, "0");
}

/** UPC-E (number system, six digits, check digit) expanded to UPC-A, as a GTIN-14. */
export function upcEAsGtin14(digits) {
  if (!"01".includes(digits[0])) throw new GS1Error(`UPC-E ${digits} must start with 0 or 1`);
  const [d1, d2, d3, d4, d5, d6] = digits.slice(1, 7);
  const middle = {
    0: `${d1}${d2}${d6}0000${d3}${d4}${d5}`,
    1: `${d1}${d2}${d6}0000${d3}${d4}${d5}`,
    2: `${d1}${d2}${d6}0000${d3}${d4}${d5}`,
    3: `${d1}${d2}${d3}00000${d4}${d5}`,
    4: `${d1}${d2}${d3}${d4}00000${d5}`,
  }[d6] ?? `${d1}${d2}${d3}${d4}${d5}0000${d6}`;
  const body = digits[0] + middle;
  const expected = checkDigit(body);
  if (Number(digits[7]) !== expected) {
    throw new GS1Error(`UPC-E ${digits} has a bad check digit (expected ${expected})`);
  }
  return `${body}${expected}`.padStart(14, "0");
}

/**
 * The scan as the edge should read it: the edge does not know this device's
 * GS substitute, so in a GS1 element string it goes back to a real GS (never
 * inside a Digital Link URI, where "~" or "|" may be data).
 */
export function asSent(answer, gsSubstitute) {
  const data = answer.raw.replace(/^\][A-Za-z][0-9A-Za-z]/, "");
  if (!gsSubstitute || answer.kind !== "gs1" || /^[a-z][a-z0-9+.-]*:/i.test(data)) return answer.raw;
  return answer.raw.split(gsSubstitute).join("\x1d");
}
