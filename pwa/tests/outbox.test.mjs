import assert from "node:assert/strict";
import { test } from "node:test";

import { MemoryStore, Offline, Outbox, SignedOut, makeUuid7, uuid4 } from "../js/outbox.js";

/** A fake edge: applies each id once, rejects what `refuse` says, can be unplugged. */
function fakeEdge({ refuse = () => null } = {}) {
  const edge = {
    up: true, applied: [], batches: [], seen: new Set(),
    async send(commands) {
      if (!edge.up) throw new Offline();
      edge.batches.push(commands.map((c) => ({ ...c })));
      return commands.map((c) => {
        if (edge.seen.has(c.id)) return { id: c.id, status: "duplicate" };
        const problem = refuse(c);
        if (problem) return { id: c.id, status: "rejected", problem };
        edge.seen.add(c.id);
        edge.applied.push(c);
        return { id: c.id, status: "applied" };
      });
    },
  };
  return edge;
}

let counter = 0;
function outbox(edge, extra = {}) {
  const box = new Outbox({ store: new MemoryStore(), send: edge.send, newId: () => `cmd-${++counter}`, ...extra });
  box.userId = 7;
  return box;
}

test("a command is stored before it is sent", async () => {
  const edge = fakeEdge();
  let storedWhenSent = null;
  const box = outbox(edge);
  const send = edge.send;
  box.send = async (commands) => {
    storedWhenSent = (await box.pending()).map((c) => c.id);
    return send(commands);
  };
  const command = await box.add("move", { sku: "S", qty: 1, from_bin: "A", to_bin: "B" });
  await box.flush();
  assert.deepEqual(storedWhenSent, [command.id]);
  assert.deepEqual(await box.pending(), []);
});

test("commands go in the order they were made, each exactly once", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  const made = [];
  for (let i = 0; i < 250; i++) made.push((await box.add("move", { qty: i + 1 })).id);
  await box.flush();
  assert.deepEqual(edge.applied.map((c) => c.id), made);
  assert.ok(edge.batches.every((b) => b.length <= 100));
  assert.equal((await box.pending()).length, 0);
});

test("offline: kept in order, marked replay, sent when the edge is back", async () => {
  const edge = fakeEdge();
  let online = true;
  const box = outbox(edge, { online: () => online });
  const first = await box.add("move", { qty: 1 });
  await box.flush();
  edge.up = false;
  // Made while the browser still thought it was online: first attempt fails.
  const second = await box.add("move", { qty: 2 });
  await box.flush();
  online = false;
  const third = await box.add("move", { qty: 3 });
  await box.flush();
  assert.deepEqual((await box.pending()).map((c) => [c.id, c.replay]), [[second.id, true], [third.id, true]]);
  edge.up = true;
  online = true;
  await box.flush();
  assert.deepEqual(edge.applied.map((c) => [c.id, c.replay]), [[first.id, false], [second.id, true], [third.id, true]]);
});

test("a rejected command goes to needs-attention and never blocks the rest", async () => {
  const problem = { title: "Not enough stock", status: 409, detail: "bin A holds 0" };
  const edge = fakeEdge({ refuse: (c) => (c.payload.qty === 2 ? problem : null) });
  const box = outbox(edge);
  const ids = [];
  for (const qty of [1, 2, 3]) ids.push((await box.add("move", { qty })).id);
  await box.flush();
  assert.deepEqual(edge.applied.map((c) => c.id), [ids[0], ids[2]]);
  const attention = await box.attention();
  assert.equal(attention.length, 1);
  assert.equal(attention[0].id, ids[1]);
  assert.deepEqual(attention[0].problem, problem);
  await box.dismiss(ids[1]);
  assert.deepEqual(await box.attention(), []);
});

test("an answer lost on the way back is harmless: the resend is a duplicate", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  const send = edge.send;
  let lose = true;
  box.send = async (commands) => {
    const results = await send(commands);
    if (lose) {
      lose = false;
      throw new Offline("connection reset");
    }
    return results;
  };
  const command = await box.add("move", { qty: 5 });
  await box.flush();
  assert.equal((await box.pending()).length, 1);
  const results = [];
  box.subscribe((e) => e.type === "result" && results.push(e.result.status));
  await box.flush();
  assert.deepEqual(results, ["duplicate"]);
  assert.deepEqual(edge.applied.map((c) => c.id), [command.id]);
});

test("signed out: nothing is lost, sending resumes after sign-in", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  const send = edge.send;
  let token = null;
  box.send = async (commands) => {
    if (!token) throw new SignedOut();
    return send(commands);
  };
  await box.add("move", { qty: 1 });
  await box.flush();
  assert.equal((await box.pending()).length, 1);
  assert.ok(box.lastError instanceof SignedOut);
  token = "t";
  await box.flush();
  assert.equal(edge.applied.length, 1);
});

test("another user's queued commands wait for that user", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  edge.up = false;
  await box.add("move", { qty: 1 });
  await box.flush();
  edge.up = true;
  box.userId = 8;
  await box.flush();
  assert.equal(edge.applied.length, 0);
  box.userId = 7;
  await box.flush();
  assert.equal(edge.applied.length, 1);
});

test("commands added during a send go out in the same flush, after the earlier ones", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  const send = edge.send;
  let added = null;
  box.send = async (commands) => {
    if (!added) added = box.add("move", { qty: 99 });
    return send(commands);
  };
  const first = await box.add("move", { qty: 1 });
  await box.flush();
  const second = await added;
  await box.flush();
  assert.deepEqual(edge.applied.map((c) => c.id), [first.id, second.id]);
});

test("uuid4 without crypto.randomUUID (plain HTTP) is still a v4 UUID", () => {
  const saved = crypto.randomUUID;
  try {
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    const ids = new Set(Array.from({ length: 1000 }, () => uuid4()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  } finally {
    Object.defineProperty(crypto, "randomUUID", { value: saved, configurable: true });
  }
});

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("uuid7 is a version 7 UUID that starts with the millisecond it was minted", () => {
  const ms = Date.UTC(2026, 10, 27, 8, 30, 0, 123);
  const id = makeUuid7()(ms);
  assert.match(id, V7);
  assert.equal(parseInt(id.replace(/-/g, "").slice(0, 12), 16), ms);
});

test("uuid7 ids from one device sort in the order they were minted, even within a millisecond", () => {
  const ms = Date.UTC(2026, 10, 27, 9, 0, 0, 0);
  const uuid7 = makeUuid7();
  const ids = [];
  for (let i = 0; i < 3000; i++) ids.push(uuid7(ms + Math.floor(i / 1000)));  // 1,000 in each millisecond
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, V7);
  assert.deepEqual([...ids].sort(), ids);
});

test("uuid7 carries the time forward when the clock steps back or the counter runs out", () => {
  const ms = Date.UTC(2026, 10, 27, 10, 0, 0, 0);
  const uuid7 = makeUuid7();
  const stamp = (id) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);
  const first = uuid7(ms);
  const back = uuid7(ms - 60_000);  // the handheld's clock was set back a minute
  assert.ok(back > first, "an id minted after a clock step back still sorts after the last one");
  assert.equal(stamp(back), ms);
  const ids = Array.from({ length: 5000 }, () => uuid7(ms));  // more than the 12-bit counter holds
  assert.deepEqual([...ids].sort(), ids);
  assert.ok(stamp(ids.at(-1)) > ms, "the counter ran out and the timestamp moved on");
  assert.equal(new Set(ids).size, ids.length);
});

test("two minters at the same moment differ in their random bits", () => {
  const ms = Date.UTC(2026, 10, 27, 11, 0, 0, 0);
  const a = makeUuid7()(ms), b = makeUuid7()(ms);
  assert.notEqual(a.slice(19), b.slice(19));
});

test("the outbox mints time-ordered (version 7) command ids by default", async () => {
  const box = new Outbox({ store: new MemoryStore(), send: async () => [] });
  const a = await box.add("move", { qty: 1 });
  const b = await box.add("move", { qty: 1 });
  assert.match(a.id, V7);
  assert.ok(b.id > a.id);
});

test("idle() is false from the moment add() is called until the edge has it", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  let release;
  const slow = box.store.add.bind(box.store);
  box.store.add = (command) => new Promise((resolve) => { release = () => resolve(slow(command)); });
  assert.equal(await box.idle(), true);
  const adding = box.add("move", { sku: "S", qty: 1, from_bin: "A", to_bin: "B" });
  assert.equal(await box.idle(), false, "not idle while the command is being stored");
  release();
  await adding;
  await box.flush();
  assert.equal(await box.idle(), true);
  assert.equal(edge.applied.length, 1);
});

/** An ApiError-like refusal of the whole request, as api.js throws it. */
function refusal(status, type = "https://floorscan.dev/problems/too-large") {
  const error = new Error(`HTTP ${status}`);
  error.status = status;
  error.problem = { type, title: "Refused", status, detail: `refused with ${status}` };
  return error;
}

test("a batch refused as too large is sent in halves; a command too large alone needs attention", async () => {
  // Before: the same 100 commands went again every 15 s, forever, and all behind them waited.
  const edge = fakeEdge();
  const send = edge.send;
  const box = outbox(edge, { online: () => false });  // queued first, sent by one flush
  const sizes = [];
  box.send = async (commands) => {
    sizes.push(commands.length);
    if (commands.length > 30 || commands.some((c) => c.payload.huge)) throw refusal(413);
    return send(commands);
  };
  const made = [];
  for (let i = 0; i < 120; i++) made.push((await box.add("move", { qty: i + 1, huge: i === 70 })).id);
  await box.flush();
  assert.deepEqual(await box.pending(), []);
  const [stuck] = await box.attention();
  assert.equal(stuck.id, made[70]);
  assert.equal(stuck.problem.status, 413);
  assert.deepEqual(edge.applied.map((c) => c.id), made.filter((_, i) => i !== 70));  // in order, once each
  assert.ok(sizes.length < 40, `took ${sizes.length} requests`);
});

test("a whole-request 422 from the edge sets aside one command; a captive portal's 400 does not", async () => {
  const edge = fakeEdge();
  const box = outbox(edge);
  box.send = async () => { throw refusal(400, null); };  // a Wi-Fi login page, say
  await box.add("move", { qty: 1 });
  await box.flush();
  assert.equal((await box.pending()).length, 1);
  assert.deepEqual(await box.attention(), []);
  box.send = async () => { throw refusal(422, "https://floorscan.dev/problems/validation"); };
  await box.flush();
  assert.deepEqual(await box.pending(), []);
  assert.equal((await box.attention())[0].problem.status, 422);
});

test("an answer that leaves a command out ends the run instead of resending at once", async () => {
  const edge = fakeEdge();
  const box = outbox(edge, { online: () => false });
  let calls = 0;
  box.send = async (commands) => {
    calls += 1;
    return commands.slice(1).map((c) => ({ id: c.id, status: "applied" }));
  };
  await box.add("move", { qty: 1 });
  await box.add("move", { qty: 2 });
  await box.flush();
  assert.equal(calls, 1);
  assert.equal((await box.pending()).length, 1);
});

test("two tabs over one store send each command once", async () => {
  // Before: each tab read the same queue and sent the same ids; the edge judges a
  // refused command again, so one tab could show "rejected" for a pick the other
  // tab's copy had applied.
  const edge = fakeEdge();
  const store = new MemoryStore();
  let held = Promise.resolve();
  const locks = {  // a LockManager of one lock, as navigator.locks gives every tab
    request(name, fn) {
      const run = held.then(() => fn());
      held = run.catch(() => {});
      return run;
    },
  };
  const slowSend = async (commands) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return edge.send(commands);
  };
  const tabA = new Outbox({ store, send: slowSend, newId: () => `cmd-${++counter}`, locks });
  const tabB = new Outbox({ store, send: slowSend, newId: () => `cmd-${++counter}`, locks });
  tabA.userId = tabB.userId = 7;
  for (let i = 0; i < 5; i++) await store.add({ id: `t-${i}`, type: "move", at: "x", replay: false, payload: {}, user_id: 7 });
  await Promise.all([tabA.flush(), tabB.flush()]);
  const sent = edge.batches.flat().map((c) => c.id);
  assert.deepEqual(sent, ["t-0", "t-1", "t-2", "t-3", "t-4"]);
});

test("send again moves a command back to the end of the queue in one step", async () => {
  const edge = fakeEdge({ refuse: (c) => (c.payload.qty === 1 && !c.payload.fixed ? { title: "No" } : null) });
  const box = outbox(edge);
  const first = await box.add("move", { qty: 1 });
  await box.flush();
  assert.equal((await box.attention()).length, 1);
  edge.seen.clear();
  await box.store.update({});  // nothing
  box.store.rejected[0].payload.fixed = true;
  await box.retry(first.id);
  await box.flush();
  assert.deepEqual(await box.attention(), []);
  assert.deepEqual(edge.applied.map((c) => c.id), [first.id]);
});

test("a lock manager that fails does not stop sending, and a send that fails is not repeated", async () => {
  const edge = fakeEdge();
  const broken = { request: async () => { throw new Error("SecurityError"); } };
  const box = outbox(edge, { online: () => false, locks: broken });
  await box.add("move", { qty: 1 });
  await box.flush();
  assert.equal(edge.applied.length, 1);
  let sends = 0;
  const working = { request: (name, fn) => fn() };
  const failing = outbox(edge, { online: () => false, locks: working });
  failing.send = async () => { sends += 1; throw new Error("boom"); };
  await failing.add("move", { qty: 2 });
  await failing.flush();
  assert.equal(sends, 1);
});
