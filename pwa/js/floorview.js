// The live floor view's feed: Socket.IO events folded into a short list of
// what just happened, newest first. The REST summary (/api/v1/floor) is the
// truth; the feed shows the floor moving between two reads. Pure
// (pwa/tests/floorview.test.mjs).

export const FEED_MAX = 30;

/** Lines to add for one event ([] for events the feed does not show). */
export function describeEvent(name, payload, names = new Map()) {
  const who = (id) => names.get(id) ?? (id == null ? "someone" : `user ${id}`);
  if (name === "movement.recorded") {
    return (payload?.movements ?? []).map((m) => {
      const from = m.from_bin ? ` from ${m.from_bin}` : "";
      const to = m.to_bin ? ` to ${m.to_bin}` : "";
      const late = m.replayed ? " (sent late, was offline)" : "";
      return { kind: m.kind, at: m.recorded_at ?? null, user: who(m.user_id),
        text: `${who(m.user_id)}: ${m.kind} ${Number(m.qty)} × ${m.sku}${from}${to}${late}` };
    });
  }
  if (name === "exception.raised") {
    return (payload?.exceptions ?? []).map((e) => ({ kind: "exception", at: e.created_at ?? null, user: e.who?.name ?? "",
      text: `Exception: ${e.title ?? e.kind}${e.bin ? ` at ${e.bin}` : ""}` }));
  }
  if (name === "putaway.tasks") return [{ kind: "putaway", text: `${(payload?.task_ids ?? []).length} new putaway task(s)` }];
  if (name === "count.approval") return [{ kind: "count", text: `${(payload?.lines ?? []).length} count line(s) await approval` }];
  return [];
}

/** The feed with this event's lines on top, at most FEED_MAX long. */
export function fold(feed, name, payload, names) {
  const lines = describeEvent(name, payload, names);
  if (!lines.length) return feed;
  return [...lines.reverse(), ...feed].slice(0, FEED_MAX);
}

/** Whether an event changes the summary (so the screen re-reads it). */
export function changesSummary(name) {
  return ["movement.recorded", "exception.raised", "putaway.tasks", "count.approval", "list.changed"].includes(name);
}
