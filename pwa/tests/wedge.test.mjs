import assert from "node:assert/strict";
import { test } from "node:test";

import { GS, WedgeParser, splitScan } from "../js/wedge.js";

/** Feed text as keys `gap` ms apart from `t0`, then the suffix; returns [results, end time]. */
function type(parser, text, { t0 = 0, gap = 5, suffix = "Enter", suffixGap = gap } = {}) {
  const out = [];
  let t = t0;
  for (const ch of text) {
    out.push(ch === GS ? parser.key("]", t, { ctrl: true }) : parser.key(ch, t));
    t += gap;
  }
  out.push(parser.key(suffix, t - gap + suffixGap));
  return [out, t];
}

test("a fast burst ending in Enter is a scan", () => {
  const p = new WedgeParser();
  const [out] = type(p, "A-01-01");
  assert.ok(out.slice(0, -1).every((r) => r.action === "pass")); // keys reach the page
  assert.equal(out.at(-1).action, "scan");
  assert.deepEqual(out.at(-1).scan, { raw: "A-01-01", aim: null, data: "A-01-01", suffix: "Enter", gsSubstitute: "" });
});

test("Tab works as a suffix too", () => {
  const [out] = type(new WedgeParser(), "TOTE-0042", { suffix: "Tab" });
  assert.equal(out.at(-1).scan.data, "TOTE-0042");
  assert.equal(out.at(-1).scan.suffix, "Tab");
});

test("typing at human speed is not a scan", () => {
  const [out] = type(new WedgeParser(), "1234", { gap: 120 });
  assert.ok(out.every((r) => r.action === "pass"));
});

test("one slow key (a Bluetooth hiccup) does not split a scan", () => {
  const p = new WedgeParser();
  const keys = "9506000134352".split("");
  const out = keys.map((k, i) => p.key(k, i * 4 + (i >= 6 ? 90 : 0)));
  out.push(p.key("Enter", keys.length * 4 + 90));
  assert.equal(out.at(-1).scan?.data, "9506000134352");
});

test("a pause longer than maxGapMs starts over: only the burst after it is the scan", () => {
  const p = new WedgeParser();
  const out = [p.key("x", 0), p.key("y", 400)];
  "A-01-01".split("").forEach((k, i) => out.push(p.key(k, 1000 + i * 3)));
  out.push(p.key("Enter", 1030));
  assert.equal(out.at(-1).scan.data, "A-01-01");
});

test("a fast typist does not average scanner speed over a code", () => {
  const p = new WedgeParser();
  // 70 ms per key is quick for a person; a short burst of 40 ms digraphs included.
  const gaps = [70, 40, 90, 60, 75, 40, 80];
  let t = 0;
  const out = "A-01-01".split("").map((k, i) => p.key(k, (t += gaps[i])));
  out.push(p.key("Enter", t + 60));
  assert.equal(out.at(-1).action, "pass");
});

test("a pause before Enter means a person pressed it", () => {
  const [out] = type(new WedgeParser(), "A-01-01", { suffixGap: 400 });
  assert.equal(out.at(-1).action, "pass");
});

test("GS sent as Ctrl+] is kept as ASCII 29", () => {
  const code = `]d2010950600013435210ABC${GS}17270131`;
  const [out] = type(new WedgeParser(), code);
  const scan = out.at(-1).scan;
  assert.equal(scan.aim, "]d2");
  assert.equal(scan.data, `010950600013435210ABC${GS}17270131`);
});

test("a GS substitute is kept as typed and reported", () => {
  const [out] = type(new WedgeParser({ gsSubstitute: "~" }), "]C1010950600013435210ABC~17270131");
  assert.equal(out.at(-1).scan.data, "010950600013435210ABC~17270131");
  assert.equal(out.at(-1).scan.gsSubstitute, "~");
});

test("AIM prefix is stripped and reported", () => {
  assert.deepEqual(splitScan("]E09506000134352"), { raw: "]E09506000134352", aim: "]E0", data: "9506000134352" });
  assert.deepEqual(splitScan("]"), { raw: "]", aim: null, data: "]" });
});

test("Shift between keys does not break a burst", () => {
  const p = new WedgeParser();
  const keys = ["Shift", "A", "-", "1", "Shift", "B", "Enter"];
  const out = keys.map((k, i) => p.key(k, i * 3));
  assert.equal(out.at(-1).scan.data, "A-1B");
});

test("50 scans at 20 per second are all recorded, in order", () => {
  const p = new WedgeParser();
  const want = Array.from({ length: 50 }, (_, i) => `95060001${String(i).padStart(5, "0")}`);
  const got = [];
  want.forEach((code, i) => {
    const [out] = type(p, code, { t0: i * 50, gap: 2 });
    for (const r of out) if (r.action === "scan") got.push(r.scan.data);
  });
  assert.deepEqual(got, want);
});

test("back-to-back scans with no pause between them still split on the suffix", () => {
  const p = new WedgeParser();
  const got = [];
  let t = 0;
  for (const code of ["AAA1", "BBB2", "CCC3"]) {
    const [out, end] = type(p, code, { t0: t, gap: 1 });
    t = end;
    for (const r of out) if (r.action === "scan") got.push(r.scan.data);
  }
  assert.deepEqual(got, ["AAA1", "BBB2", "CCC3"]);
});
