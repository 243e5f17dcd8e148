import assert from "node:assert/strict";
import { test } from "node:test";

import { judgeBin, withPending } from "../js/putaway.js";

const task = { id: 7, sku: "NUT", from_bin: "D-DOCK-01", suggested_bin: "A-01", remaining: 20, status: "open" };
const bin = (code, kind = "storage") => ({ kind: kind === "tote" ? "tote" : "bin", raw: code, bin: { code, kind } });

test("the suggested bin confirms at once", () => {
  assert.deepEqual(judgeBin(task, bin("A-01")), { confirm: { task_id: 7, to_bin: "A-01" } });
});

test("another bin needs a reason, which goes with the command", () => {
  assert.deepEqual(judgeBin(task, bin("A-02")), { needReason: "A-02" });
  assert.deepEqual(judgeBin(task, bin("A-02"), { reason: " full " }), { confirm: { task_id: 7, to_bin: "A-02", reason: "full" } });
});

test("docks, totes, staging, returns and the dock it stands on are no destination; quarantine is", () => {
  for (const kind of ["dock", "tote", "staging", "returns", "in-transit"]) {
    assert.match(judgeBin(task, bin("X-1", kind)).error, new RegExp(`is a ${kind} bin; put away into a storage or pick-face bin \\(suggested: A-01\\)`));
  }
  assert.match(judgeBin(task, bin("D-DOCK-01", "storage")).error, /where the goods stand now/);
  assert.deepEqual(judgeBin(task, bin("D-QUAR-01", "quarantine")), { needReason: "D-QUAR-01" });
  assert.match(judgeBin(task, { kind: "item", raw: "123", sku: "NUT" }).error, /NUT is an item: scan the label/);
});

test("unsent confirmations take tasks off the list", () => {
  const other = { ...task, id: 8 };
  const left = withPending([task, other], [{ type: "putaway.confirm", payload: { task_id: 7, to_bin: "A-01" } },
    { type: "move", payload: { task_id: 8 } }]);
  assert.deepEqual(left.map((t) => t.id), [8]);
  const part = withPending([task], [{ type: "putaway.confirm", payload: { task_id: 7, to_bin: "A-01", qty: 8 } }]);
  assert.equal(part[0].remaining, 12);
});

test("returns: unsent decisions take their quantity off what awaits", async () => {
  const { awaitingWithPending } = await import("../js/screens/returns.js");
  const ret = { id: "R-1", lines: [{ line_no: 1, awaiting: 4 }, { line_no: 2, awaiting: 1 }] };
  const view = awaitingWithPending(ret, [
    { type: "return.dispose", payload: { return_id: "R-1", line_no: 1, qty: 3 } },
    { type: "return.dispose", payload: { return_id: "R-1", line_no: 2 } },
    { type: "return.dispose", payload: { return_id: "R-2", line_no: 1, qty: 4 } },
  ]);
  assert.deepEqual(view.lines.map((l) => l.awaiting), [1, 0]);
  assert.equal(ret.lines[0].awaiting, 4);
});
