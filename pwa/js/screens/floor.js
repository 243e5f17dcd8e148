// The supervisor's live floor view: who is doing what (their last action and
// task), open work by kind, commands that arrived late from offline devices,
// devices gone quiet, and what is waiting on this device. The summary is
// GET /api/v1/floor; Socket.IO events add to the feed at once and trigger a
// re-read (coalesced), and it re-reads every 30 s in case an event was missed.
import { describe } from "../api.js";
import { changesSummary, fold } from "../floorview.js";
import { cachedGet, fill, h } from "../ui.js";

const LABELS = { pick_lists: "Pick lists", putaway_tasks: "Putaway tasks", count_tasks: "Count tasks",
  receipts: "Receipts open", returns: "Returns open", exceptions: "Exceptions" };

export function mount(app, root) {
  let summary = null;
  let stale = false;
  let users = new Map(); // id -> name, for the feed (events carry user ids)
  let feed = app.floorFeed ?? [];
  const when = h("p", { class: "muted small", id: "floor-at" });
  const tiles = h("ul", { class: "floor-tiles", id: "floor-open", "aria-label": "Open work" });
  const people = h("table", { class: "stock", id: "floor-people", "aria-label": "People on the floor" });
  const late = h("p", { id: "floor-late" });
  const quiet = h("ul", { class: "results", id: "floor-quiet", "aria-label": "Devices gone quiet" });
  const feedList = h("ol", { class: "scan-log", id: "floor-feed", "aria-label": "Just happened" });
  fill(root, h("h1", {}, "Floor"), when, tiles, h("h2", { class: "small" }, "People"), people, late, quiet,
    h("h2", { class: "small" }, "Just happened"), feedList,
    h("a", { class: "btn btn-wide btn-quiet link-btn", href: "#exceptions", id: "floor-exceptions" }, "Open the exceptions queue"));
  load();
  const every = setInterval(load, 30000);

  async function load() {
    try {
      if (!users.size) {
        const [list] = await cachedGet(app, "floor:users", () => app.api.get("/users"));
        users = new Map((list?.items ?? []).map((u) => [u.id, u.name]));
      }
      [summary, stale] = await cachedGet(app, "floor:summary", () => app.api.get("/floor"));
    } catch (error) {
      fill(when, describe(error));
    }
    render();
  }

  function names() {
    return new Map([...users, ...(summary?.people ?? []).map((p) => [p.id, p.name])]);
  }

  function render() {
    if (summary) {
      when.textContent = `${stale ? "Offline: as of" : "Updated"} ${new Date(summary.at).toLocaleTimeString()}`;
      fill(tiles, Object.entries(LABELS).map(([key, title]) => h("li", { class: "floor-tile", dataset: { key } },
        h("span", { class: "floor-num", id: `floor-open-${key}` }, String(summary.open[key] ?? 0)), h("span", {}, title))));
      fill(people, h("thead", {}, h("tr", {}, h("th", {}, "Who"), h("th", {}, "Doing"), h("th", {}, "Last"))),
        h("tbody", {}, summary.people.map((p) => h("tr", { dataset: { user: String(p.id) } },
          h("td", {}, p.name, h("br"), h("span", { class: "muted small" }, p.role)),
          h("td", {}, p.doing ?? "", p.task ? h("span", { class: "muted small" }, h("br"), p.task) : ""),
          h("td", { class: "small" }, p.last_received_at ? new Date(p.last_received_at).toLocaleTimeString() : "")))));
      late.textContent = `${summary.replayed_last_hour} movement(s) arrived late from offline devices in the last hour`
        + ` · this device: ${app.pendingCount} waiting to be sent`;
      fill(quiet, summary.quiet_devices.map((d) => h("li", { class: "result" },
        `${d.id} (${d.last_user_name ?? "?"}) silent since ${new Date(d.last_seen_at).toLocaleTimeString()}: may hold unsent work`)));
    }
    fill(feedList, feed.length ? feed.map((f) => h("li", { dataset: { kind: f.kind } }, f.text))
      : h("li", { class: "muted" }, "Waiting for the floor to move…"));
  }

  let timer = null;
  return {
    onLive(name, payload) {
      feed = fold(feed, name, payload, names());
      app.floorFeed = feed;
      render();
      if (changesSummary(name)) {
        clearTimeout(timer);
        timer = setTimeout(load, 400);
      }
    },
    onStatus() { if (summary) render(); },
    unmount() { clearTimeout(timer); clearInterval(every); },
  };
}
