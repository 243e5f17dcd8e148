// GS1 data in a scan: element strings (GS1-128, DataMatrix, QR), HRI text
// "(01)...(10)..." and Digital Link URIs. The same rules as edge/scans/gs1.py,
// on the same AI table (biip's, generated into gs1-ais.js), so a label reads
// the same on a handheld in a Wi-Fi dead zone as on the edge.
//
// Every parse function returns the `gs1` object of docs/scans.md or throws a
// GS1Error whose message is fit to show on a handheld.
import { AIS, PRIMARY_KEYS } from "./gs1-ais.js";

export const GS = "\x1d";

export class GS1Error extends Error {
  /** Data that is meant to be GS1 but is not valid GS1. */
  constructor(message) { super(message); this.name = "GS1Error"; }
}

const TABLE = AIS.map(([ai, title, separator, format, pattern]) => ({
  ai, title, separator, format, pattern,
  full: new RegExp(pattern),
  prefix: new RegExp(pattern.replace(/\$$/, "")),
}));
const BY_AI = new Map(TABLE.map((entry) => [entry.ai, entry]));
const DATE_AIS = new Set(["11", "12", "13", "15", "16", "17", "4324", "4325", "4326",
  "7003", "7006", "7007", "7011", "8008"]);
// Words for the date AIs a picker reads on a carton.
const DATE_LABELS = { 11: "production date", 12: "due date", 13: "packaging date",
  15: "best before", 16: "sell by", 17: "expiry" };
// Python's whitespace (what the edge strips) includes the separators \x1c-\x1f,
// so a GS next to HRI text or at either end of an element string is noise.
const SPACE = "[\\s\\x1c-\\x1f]";
const HRI_START = new RegExp(`^${SPACE}*\\((\\d{2,4})\\)`);
const EDGES = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");
const ALL_SPACE = new RegExp(`${SPACE}+`, "g");
const DL_KEY = /\/0[01]\/[^/?#]/;

/** The AI entry `text` starts with, else null. */
export function aiAt(text) {
  for (const entry of TABLE) if (text.startsWith(entry.ai)) return entry;
  return null;
}

export function isKnownAi(text) {
  return BY_AI.has(text);
}

/** GS1 mod-10 check digit of the digits given (without their check digit). */
export function checkDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const weight = (body.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(body[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** The error text for a mod-10 number whose check digit is wrong, else null. */
export function checkDigitProblem(label, digits) {
  const expected = checkDigit(digits.slice(0, -1));
  if (Number(digits.at(-1)) === expected) return null;
  return `${label} ${digits} has a bad check digit (expected ${expected})`;
}

export function looksLikeHri(text) {
  const match = HRI_START.exec(text);
  return match !== null && isKnownAi(match[1]);
}

/** True when unprefixed text is plainly a GS1 element string (see edge/scans/gs1.py). */
export function looksLikeElementString(text) {
  if (text.startsWith(GS)) return true;
  if (text.includes(GS) && aiAt(text) !== null) return true;
  return /^(?:00[0-9]{18}|0[12][0-9]{14})/.test(text);
}

export function isUri(text) {
  return /^https?:\/\//i.test(text);
}

export function looksLikeDigitalLink(text) {
  if (!isUri(text)) return false;
  if (DL_KEY.test(pathOf(text))) return true;
  try {
    parseDigitalLink(text);
    return true;
  } catch {
    return false;
  }
}

export function parseElementString(text) {
  const body = text.replace(EDGES, "");
  if (!body) throw new GS1Error("the scan holds no GS1 data");
  const elements = [];
  let rest = body;
  while (rest) {
    const entry = aiAt(rest);
    if (entry === null) throw new GS1Error(`no known GS1 AI at '${rest.slice(0, 20)}'`);
    const match = entry.prefix.exec(rest);
    if (!match) throw explainValue(entry, rest.slice(entry.ai.length).split(GS, 1)[0]);
    elements.push(element(entry, match));
    rest = rest.slice(match[0].length);
    while (rest.startsWith(GS)) rest = rest.slice(1);
  }
  return summarise(elements);
}

export function parseHri(text) {
  const pairs = [...text.matchAll(/\((\d+)\)([^(]*)/g)].map((m) => [m[1], m[2]]);
  // A label missing its lot is broken, even where a parser could skip the AI.
  for (const [ai, value] of pairs) {
    if (!value.replace(ALL_SPACE, "")) throw new GS1Error(`AI ${ai} has no value`);
  }
  const hri = text.replace(ALL_SPACE, "");
  const elements = [...hri.matchAll(/\((\d+)\)([^(]+)/g)].map(([, ai, value]) => {
    const entry = BY_AI.get(ai);
    if (!entry) throw new GS1Error(`unknown GS1 AI (${ai})`);
    return parseOne(entry, value);
  });
  if (!elements.length) throw new GS1Error(`no GS1 AIs in ${JSON.stringify(text)}`);
  return summarise(elements);
}

export function parseDigitalLink(uri) {
  let url;
  try {
    url = parseUrl(uri);
  } catch {
    throw new GS1Error(`not a valid URI: ${uri}`);
  }
  let parts = url.pathname.split("/");
  while (parts.length && !(parts[0] in PRIMARY_KEYS)) parts.shift();
  if (!parts.length) throw new GS1Error(`no GS1 key in the path ${url.pathname}`);
  if (parts.length % 2) throw new GS1Error(`odd number of path segments in ${url.pathname}`);
  parts = parts.map(decode);
  const [key, keyValue] = parts;
  const primary = PRIMARY_KEYS[key];
  const value = primary.zfill ? keyValue.padStart(primary.zfill, "0") : keyValue;
  const elements = [parseOne(BY_AI.get(key), value)];
  const qualifiers = [...primary.qualifiers];
  for (let i = 2; i < parts.length; i += 2) {
    while (qualifiers.length && qualifiers[0] !== parts[i]) qualifiers.shift();
    if (!qualifiers.length) throw new GS1Error(`AI ${parts[i]} is not a qualifier of AI ${key} here`);
    qualifiers.shift();
    elements.push(parseOne(BY_AI.get(parts[i]), parts[i + 1]));
  }
  const query = new Map();
  for (const [name, text] of url.searchParams) {
    if (!BY_AI.has(name)) continue; // linkType and friends are not data
    if (!query.has(name)) query.set(name, []);
    query.get(name).push(text);
  }
  for (const [name, seen] of query) {
    // A label missing its expiry ("?17=") is broken, as for the edge's parser.
    if (!seen.every((v) => v.trim())) throw new GS1Error(`AI ${name} has no value`);
    refuseConflict(name, seen);
    elements.push(parseOne(BY_AI.get(name), seen.at(-1)));
  }
  return summarise(elements);
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function pathOf(uri) {
  try {
    return parseUrl(uri).pathname;
  } catch {
    return "";
  }
}

// URL() trims and drops spaces and control characters the edge keeps as data;
// escape them first so both read "/01/ 123" the same (and refuse it).
function parseUrl(uri) {
  return new URL(uri.replace(/[\x00-\x20]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

function parseOne(entry, value) {
  const match = entry.full.exec(entry.ai + value);
  if (!match) throw explainValue(entry, value);
  return element(entry, match);
}

function element(entry, match) {
  const groups = match.slice(1).filter((g) => g !== undefined);
  const found = { ai: entry.ai, entry, value: groups.join(""), groups };
  if (DATE_AIS.has(entry.ai)) {
    found.date = gs1Date(found.value);
    if (found.date === null) throw explainValue(entry, found.value);
  }
  return found;
}

function explainValue(entry, value) {
  const label = DATE_LABELS[entry.ai];
  if (label !== undefined) {
    const date = value.slice(0, 6);
    if (/^[0-9]{6}$/.test(date)) return new GS1Error(`AI ${entry.ai} ${label} ${date} is not a real date`);
    return new GS1Error(`AI ${entry.ai} ${label} must be 6 digits YYMMDD, got '${value}'`);
  }
  if (!value) return new GS1Error(`AI ${entry.ai} (${entry.title}) has no value`);
  return new GS1Error(`AI ${entry.ai} (${entry.title}) value '${value}' does not fit format ${entry.format}`);
}

/** YYMMDD[HH[MM[SS]]] as an ISO date (GS1 century rule, day 00 = last day), else null. */
export function gs1Date(value, now = new Date()) {
  const pairs = value.match(/../g) || [];
  if (pairs.length < 3) return null;
  const yy = Number(pairs[0]);
  const month = Number(pairs[1]);
  let day = Number(pairs[2]);
  const year = yy + century(yy, now.getUTCFullYear());
  if (month < 1 || month > 12) return null;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day === 0) day = last;
  if (day > last) return null;
  if (pairs.length > 3) {
    const [hour, minute, second] = [pairs[3], pairs[4] ?? "0", pairs[5] ?? "0"].map(Number);
    if (!(hour === 99 && minute === 99) && (hour > 23 || minute > 59 || second > 59)) return null;
  }
  return `${String(year).padStart(4, "0")}-${pairs[1]}-${String(day).padStart(2, "0")}`;
}

// GS1 General Specifications 7.12: 49 years back, 50 years forward.
function century(yy, currentYear) {
  const current = currentYear - (currentYear % 100);
  const diff = yy - (currentYear - current);
  if (diff >= 51 && diff <= 99) return current - 100;
  if (diff >= -99 && diff <= -50) return current + 100;
  return current;
}

function refuseConflict(ai, seen) {
  // Printing the same AI twice is harmless; two different lots on one carton
  // means nobody can trust either.
  const distinct = [...new Set(seen)];
  if (distinct.length > 1) {
    const times = seen.length === 2 ? "twice" : `${seen.length} times`;
    const shown = distinct.map((v) => `'${v}'`).join(" and ");
    throw new GS1Error(`AI ${ai} appears ${times} with different values: ${shown}`);
  }
}

function refuseBadElement({ ai, entry, value }) {
  if (!value) throw new GS1Error(`AI ${ai} (${entry.title}) has no value`);
  if (!/^[\x00-\x7f]*$/.test(value)) {
    throw new GS1Error(`AI ${ai} value '${value}' has characters GS1 does not allow`);
  }
  const label = { "00": "SSCC", "02": "content GTIN", "01": "GTIN", "03": "GTIN" }[ai]
    ?? (ai.startsWith("41") ? "GLN" : null);
  if (label === null) return;
  if (!/^[0-9]+$/.test(value)) throw new GS1Error(`${label} '${value}' must be digits`);
  const problem = checkDigitProblem(label, value);
  if (problem) throw new GS1Error(problem);
}

/** Check the elements harder, then flatten them into the gs1 object. */
export function summarise(elements) {
  const seen = new Map();
  const first = new Map();
  for (const found of elements) {
    refuseBadElement(found);
    if (!seen.has(found.ai)) seen.set(found.ai, []);
    seen.get(found.ai).push(found.value);
    if (!first.has(found.ai)) first.set(found.ai, found);
  }
  for (const [ai, values] of seen) refuseConflict(ai, values);
  refuseMeasureConflict(first);
  return flatten(first);
}

// The value of a measure AI (31nn-36nn: the last digit of the AI says where the
// decimal point goes).
function measure(ai, found) {
  const digits = found.groups.at(-1);
  const places = Number(ai[3]);
  return Number(`${digits.slice(0, digits.length - places) || "0"}.${digits.slice(digits.length - places)}`);
}

function refuseMeasureConflict(first) {
  // 3103 and 3102 are one measure written two ways; two different weights on one
  // label mean neither can be trusted (the same weight both ways is harmless).
  const byMeasure = new Map();
  for (const [ai, found] of first) {
    if (!/^3[1-6][0-9][0-9]$/.test(ai)) continue;
    if (!byMeasure.has(ai.slice(0, 3))) byMeasure.set(ai.slice(0, 3), []);
    byMeasure.get(ai.slice(0, 3)).push([ai, measure(ai, found)]);
  }
  for (const [[a, x], ...others] of byMeasure.values()) {
    const differing = others.find(([, v]) => v !== x);
    if (differing) {
      const [b, y] = differing;
      throw new GS1Error(`AI ${a} and AI ${b} give the same measure with different values: ${x} and ${y}`);
    }
  }
}

function flatten(first) {
  const out = {};
  for (const [ai, key] of [["01", "gtin"], ["02", "content_gtin"], ["10", "lot"], ["21", "serial"], ["00", "sscc"]]) {
    if (first.has(ai)) out[key] = first.get(ai).value;
  }
  // AI 30 counts pieces of a variable item, 37 trade items on a logistic
  // unit; they never describe the same thing, so 30 goes first.
  for (const ai of ["30", "37"]) {
    if (first.has(ai)) {
      out.count = Number.parseInt(first.get(ai).value, 10);
      break;
    }
  }
  for (const [ai, key] of [["17", "expiry"], ["15", "best_before"]]) {
    if (first.has(ai)) out[key] = first.get(ai).date;
  }
  for (const [ai, found] of first) {
    if (/^310[0-9]$/.test(ai)) {
      out.net_weight_kg = measure(ai, found);
      break;
    }
  }
  out.ais = Object.fromEntries([...first].map(([ai, found]) => [ai, found.value]));
  return out;
}
