// The supervisor's exceptions queue: what the floor did that the records
// disagreed with, oldest first, each with who, where, when, the figures and
// the actions that settle it. Resolving is a REST call (not a floor command),
// so it needs the edge; offline the queue shows its last copy, read-only.
// New exceptions arrive live (exception.raised) and the list re-reads itself.
import { ApiError, Offline, describe } from "../api.js";
import { uuid4 } from "../outbox.js";
import { cachedGet, fill, h, noteBox } from "../ui.js";

export function mount(app, root) {
  let items = [];
  let stale = false;
  let open = null; // {id, action}
  const list = h("ol", { class: "attention", id: "exceptions-list", "aria-label": "Open exceptions" });
  const { note, say } = noteBox(app, "exceptions-note");
  const count = h("p", { class: "muted", id: "exceptions-count" });
  fill(root, h("h1", {}, "Exceptions"), count, note, list);
  load();

  async function load() {
    try {
      const [page, fromCache] = await cachedGet(app, "exceptions:open", () => app.api.get("/exceptions", { status: "open", limit: 200 }));
      items = page?.items ?? [];
      stale = fromCache;
    } catch (error) {
      say("error", describe(error));
    }
    render();
  }

  function render() {
    count.textContent = `${items.length} open${stale ? " · offline: last copy, resolving needs the edge" : ""}`;
    count.dataset.count = String(items.length);
    if (!items.length) {
      fill(list, h("li", { class: "muted empty" }, "Nothing needs a decision."));
      return;
    }
    fill(list, items.map((e) => h("li", { class: "card", dataset: { id: String(e.id), kind: e.kind } },
      h("h2", {}, e.title ?? e.kind),
      h("p", { class: "problem" }, e.detail),
      h("p", { class: "muted small" }, [e.who?.name, e.where?.bin && `bin ${e.where.bin}${e.where.zone ? ` (zone ${e.where.zone})` : ""}`,
        e.sku, e.ref_type && `${e.ref_type} ${e.ref_id}`, new Date(e.created_at).toLocaleString()].filter(Boolean).join(" · ")),
      e.data && Object.keys(e.data).length ? h("p", { class: "small" }, Object.entries(e.data)
        .filter(([, v]) => v !== null && typeof v !== "object").map(([k, v]) => `${k} ${v}`).join(" · ")) : null,
      open?.id === e.id ? resolveForm(e) : h("div", { class: "row" }, e.actions.map((a) =>
        h("button", { type: "button", class: a.name === "close" ? "btn btn-quiet" : "btn", id: `exc-${e.id}-${a.name}`,
          "aria-label": `${a.name.replace("_", " ")}: ${a.summary}`, disabled: stale,
          onclick: () => { open = { id: e.id, action: a }; render(); } }, a.name.replace("_", " ")))))));
  }

  function resolveForm(e) {
    const { action } = open;
    const why = h("input", { type: "text", id: `exc-${e.id}-why`, "aria-label": "Why (recorded with the decision)",
      placeholder: "Why (recorded)" });
    const params = action.params.map((name) => h("input", { type: "text", id: `exc-${e.id}-param-${name}`, "aria-label": name,
      placeholder: name === "expiry" ? "expiry YYYY-MM-DD" : name, dataset: { param: name } }));
    const recount = e.kind === "count_variance" && action.name === "reject"
      ? h("button", { type: "button", class: "btn btn-quiet", id: `exc-${e.id}-recount`, "aria-pressed": "true",
        onclick: (ev) => ev.target.setAttribute("aria-pressed", String(ev.target.getAttribute("aria-pressed") !== "true")) },
      "Count it again") : null;
    return h("form", { class: "resolve", onsubmit: async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(params.map((p) => [p.dataset.param, p.value.trim()]));
      if (recount) values.recount = recount.getAttribute("aria-pressed") === "true";
      await resolve(e, action.name, why.value.trim(), values);
    } }, h("p", { class: "pick-item" }, `${action.name.replace("_", " ")}: ${action.summary}`), ...params, why, recount,
    h("div", { class: "row" }, h("button", { type: "submit", class: "btn", id: `exc-${e.id}-go` }, "Resolve"),
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => { open = null; render(); } }, "Cancel")));
  }

  async function resolve(e, action, resolution, params) {
    if (!resolution) return say("error", "say why: it is recorded with the decision");
    try {
      // The same key on a retry: the edge answers from the first resolve and posts nothing twice.
      open.key ??= uuid4();
      await app.api.post(`/exceptions/${e.id}/resolve`, { action, resolution, params }, { headers: { "Idempotency-Key": open.key } });
      say("ok", `Exception ${e.id} resolved: ${action}`);
      note.textContent = `Exception ${e.id} resolved: ${action}`;
      open = null;
      items = items.filter((x) => x.id !== e.id);
      render();
      load();
    } catch (error) {
      if (error instanceof Offline) return say("error", "Offline: resolving needs the edge; try again when online");
      const field = error instanceof ApiError ? error.problem.errors?.[0]?.field : null;
      say("error", `${describe(error)}${field ? ` (${field})` : ""}`);
    }
    return undefined;
  }

  let timer = null;
  return {
    onLive(name) {
      if (name !== "exception.raised") return;
      clearTimeout(timer);
      timer = setTimeout(() => { if (!open) load(); }, 250);
    },
    unmount() { clearTimeout(timer); },
  };
}
