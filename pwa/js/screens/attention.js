// Actions the edge refused, with its reason. They never block the outbox;
// here a person reads why, then sends one again (same id: the edge judges it
// afresh, e.g. once the stock is there) or dismisses it.
import { fill, h, qty } from "../ui.js";

export function mount(app, root) {
  const list = h("ol", { class: "attention", id: "attention-list", "aria-label": "Refused actions" });
  fill(root, h("h1", {}, "Needs attention"), list);

  async function render() {
    const mine = (await app.outbox.attention()).filter((c) => c.user_id === app.user.id);
    if (!mine.length) {
      fill(list, h("li", { class: "muted empty" }, "Nothing needs attention."));
      return;
    }
    fill(list, mine.map((c) => h("li", { class: "card", dataset: { id: c.id } },
      h("h2", {}, summary(c)),
      h("p", { class: "problem" }, c.problem?.detail ?? c.problem?.title ?? "refused"),
      h("p", { class: "muted small" }, `${c.problem?.title ?? ""} · ${new Date(c.at).toLocaleString()}`),
      h("div", { class: "row" },
        h("button", { type: "button", class: "btn", "aria-label": `Send again: ${summary(c)}`,
          onclick: () => retry(c) }, "Send again"),
        h("button", { type: "button", class: "btn btn-quiet", "aria-label": `Dismiss: ${summary(c)}`,
          onclick: async () => { await app.outbox.dismiss(c.id); render(); } }, "Dismiss")))));
  }

  async function retry(command) {
    const { problem, rejected_at, seq, ...again } = command;
    await app.outbox.dismiss(command.id);
    await app.store.add(again);
    app.outbox.flush().catch(() => {});
    render();
  }

  render();
  return { onOutbox: render };
}

export function summary(command) {
  const p = command.payload ?? {};
  if (command.type === "move") return `Move ${qty(p.qty)} × ${p.sku}: ${p.from_bin} → ${p.to_bin}`;
  return `${command.type} ${p.sku ?? ""}`.trim();
}
