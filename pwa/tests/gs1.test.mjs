// The JS GS1 matcher against the vectors the Python side passes
// (tests/data/scan_vectors.json; its "about" says how to compare).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { gs1Date } from "../js/gs1.js";
import { DictCatalog, interpret, upcEAsGtin14 } from "../js/scan.js";

const vectors = JSON.parse(readFileSync(new URL("../../tests/data/scan_vectors.json", import.meta.url), "utf8"));
const catalog = new DictCatalog(vectors.catalog);

for (const c of vectors.cases) {
  test(`vector: ${c.name}`, () => {
    const out = interpret(c.code, c.symbology, { catalog, gsSubstitute: c.gs_substitute ?? null });
    assert.equal(out.raw, c.code);
    for (const [key, want] of Object.entries(c.expect)) {
      if (key === "error_contains") {
        assert.ok(typeof out.error === "string" && out.error.includes(want),
          `error ${JSON.stringify(out.error)} should contain ${JSON.stringify(want)}`);
      } else if (key === "absent") {
        for (const name of want) assert.ok(!(name in out), `${name} should be absent: ${JSON.stringify(out)}`);
      } else {
        assert.deepEqual(out[key], want, `${key} of ${JSON.stringify(out)}`);
      }
    }
  });
}

test("never throws on garbage", () => {
  for (const code of ["]", "]C", "http://[", "(01", "(99)", "\x1d\x1d", "%%%", "https://x/01/%E0%A4%A", 42, null]) {
    const out = interpret(code, null, { catalog });
    assert.ok(["unknown", "invalid"].includes(out.kind), JSON.stringify(out));
  }
});

test("GS1 century rule: 49 years back, 50 forward", () => {
  const now = new Date(Date.UTC(2026, 0, 1));
  assert.equal(gs1Date("760101", now), "2076-01-01");
  assert.equal(gs1Date("770101", now), "1977-01-01");
  assert.equal(gs1Date("240200", now), "2024-02-29");
  assert.equal(gs1Date("250229", now), null);
});

test("UPC-E expands to UPC-A", () => {
  assert.equal(upcEAsGtin14("04252614"), "00042100005264");
  assert.equal(upcEAsGtin14("01234565"), "00012345000065");
});
