// Putaway on the device: which task is next, and what a scanned destination
// bin means for it. Pure (pwa/tests/putaway.test.mjs).

// A dock, tote, staging, returns or in-transit bin is no destination
// (quarantine is: damage found on the way). The edge says the same.
const NOT_A_DESTINATION = new Set(["dock", "tote", "staging", "returns", "in-transit"]);

/** Open tasks with this device's unsent confirmations taken off. */
export function withPending(tasks, commands) {
  const done = new Map();
  for (const c of commands) {
    if (c.type !== "putaway.confirm") continue;
    done.set(c.payload.task_id, (done.get(c.payload.task_id) ?? 0) + (c.payload.qty ?? Infinity));
  }
  return tasks
    .map((t) => (done.has(t.id) ? { ...t, remaining: Math.max(0, t.remaining - done.get(t.id)) } : t))
    .filter((t) => t.status === "open" && t.remaining > 0);
}

/**
 * A scanned bin for `task`:
 *   {confirm: payload}          the suggested bin (or any bin with a reason given)
 *   {needReason: bin}           another bin: ask why first
 *   {error}                     not a bin, or no place to put goods away
 */
export function judgeBin(task, answer, { reason = "" } = {}) {
  if (!task) return { error: "no putaway task is open" };
  if (answer.kind === "invalid") return { error: answer.error };
  if (answer.kind !== "bin" && answer.kind !== "tote") {
    const what = answer.sku ? `${answer.sku} is an item` : `'${answer.raw}' is not a bin`;
    return { error: `${what}: scan the label of the bin you put it in (suggested: ${task.suggested_bin ?? "any with room"})` };
  }
  const bin = answer.bin;
  if (bin.code === task.from_bin) return { error: `${bin.code} is where the goods stand now: scan the bin you put them in` };
  if (NOT_A_DESTINATION.has(bin.kind)) {
    return { error: `${bin.code} is a ${bin.kind} bin; put away into a storage or pick-face bin (suggested: ${task.suggested_bin ?? "none"})` };
  }
  const payload = { task_id: task.id, to_bin: bin.code };
  if (bin.code === task.suggested_bin) return { confirm: payload };
  if (!reason.trim()) return { needReason: bin.code };
  return { confirm: { ...payload, reason: reason.trim() } };
}
