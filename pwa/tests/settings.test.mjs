import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_SETTINGS, normalizeSettings } from "../js/session.js";

test("empty fields mean the defaults", () => {
  const { settings, errors } = normalizeSettings({ wedge: { avgGapMs: "", maxGapMs: "" }, gsSubstitute: "", idleMinutes: "" });
  assert.deepEqual(errors, {});
  assert.deepEqual(settings, { ...DEFAULT_SETTINGS, wedge: {} });
});

test("typed numbers, a Tab-only scanner, a GS substitute, sound off", () => {
  const { settings, errors } = normalizeSettings({ wedge: { avgGapMs: "40", maxGapMs: "200", suffixes: ["Tab"] },
    gsSubstitute: "~", idleMinutes: "0", sound: false });
  assert.deepEqual(errors, {});
  assert.deepEqual(settings.wedge, { avgGapMs: 40, maxGapMs: 200, suffixes: ["Tab"] });
  assert.equal(settings.gsSubstitute, "~");
  assert.equal(settings.idleMinutes, 0);
  assert.equal(settings.sound, false);
  assert.equal(settings.vibration, true);
});

test("out-of-range and nonsense values are named per field", () => {
  const { errors } = normalizeSettings({ wedge: { avgGapMs: "0", maxGapMs: "1.5", minLength: "99", suffixes: [] },
    gsSubstitute: "A", idleMinutes: "-1" });
  assert.deepEqual(Object.keys(errors).sort(), ["avgGapMs", "gsSubstitute", "idleMinutes", "maxGapMs", "minLength", "suffixes"]);
  assert.equal(errors.avgGapMs, "avgGapMs must be a whole number from 5 to 100");
  assert.equal(normalizeSettings({ wedge: { avgGapMs: "90", maxGapMs: "60" } }).errors.maxGapMs,
    "the longest pause must be at least the average gap");
});
