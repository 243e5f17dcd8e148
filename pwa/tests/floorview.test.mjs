import assert from "node:assert/strict";
import { test } from "node:test";

import { FEED_MAX, changesSummary, describeEvent, fold } from "../js/floorview.js";

const names = new Map([[1, "Pat Picker"]]);

test("movements become lines naming who did what, newest first", () => {
  const feed = fold([], "movement.recorded", { movements: [
    { kind: "move", qty: 2, sku: "BOLT", from_bin: "A-01", to_bin: "A-02", user_id: 1 },
    { kind: "receive", qty: 12, sku: "NUT", from_bin: null, to_bin: "D-DOCK-01", user_id: 9, replayed: true },
  ] }, names);
  assert.deepEqual(feed.map((f) => f.text), [
    "user 9: receive 12 × NUT to D-DOCK-01 (sent late, was offline)",
    "Pat Picker: move 2 × BOLT from A-01 to A-02",
  ]);
});

test("exceptions and new tasks are shown; other events leave the feed alone", () => {
  assert.deepEqual(describeEvent("exception.raised", { exceptions: [{ kind: "negative_stock", title: "Stock went below zero", bin: "A-01" }] })
    .map((l) => l.text), ["Exception: Stock went below zero at A-01"]);
  const feed = [{ text: "x" }];
  assert.equal(fold(feed, "stock.changed", { changes: [] }, names), feed);
  assert.ok(changesSummary("movement.recorded") && !changesSummary("stock.changed"));
});

test("the feed keeps the newest FEED_MAX lines", () => {
  let feed = [];
  for (let i = 0; i < FEED_MAX + 5; i++) {
    feed = fold(feed, "movement.recorded", { movements: [{ kind: "move", qty: i, sku: "S", user_id: 1 }] }, names);
  }
  assert.equal(feed.length, FEED_MAX);
  assert.match(feed[0].text, new RegExp(`move ${FEED_MAX + 4} ×`));
});
