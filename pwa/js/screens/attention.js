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
    await app.outbox.retry(command.id);
    render();
  }

  render();
  return { onOutbox: render };
}

export function summary(command) {
  const p = command.payload ?? {};
  const l = command.local ?? {};
  switch (command.type) {
    case "move": return `Move ${qty(p.qty)} × ${p.sku}: ${p.from_bin} → ${p.to_bin}`;
    case "receipt.open": return `Open receipt ${p.document ?? "(blind)"} at ${p.dock_bin}`;
    case "receipt.line": return `Receive ${l.qty != null ? `${qty(l.qty)} × ` : ""}${l.sku ?? p.sku ?? p.barcode}${p.damaged ? " (damaged)" : ""}`;
    case "receipt.pallet": return `Receive pallet ${p.sscc}`;
    case "receipt.close": return `Close receipt${p.final === false ? " (more coming)" : ""}`;
    case "putaway.confirm": return `Put away task ${p.task_id} into ${p.to_bin}`;
    case "count.start": return `Start count task ${p.task_id}`;
    case "count": return `Count of bin ${p.bin} (task ${p.task_id})`;
    case "return.receive": return `Return ${qty(p.qty)} × ${p.sku} into ${p.to_bin}`;
    case "return.dispose": return `${p.action} line ${p.line_no} of ${p.return_id}`;
    case "pick.confirm": return `Pick ${qty(p.qty)} at ${p.bin} (list ${p.list_id})`;
    case "pick.short": return `Short pick at ${p.bin} (list ${p.list_id})`;
    case "pick.tote": return `Tote ${p.tote} for list ${p.list_id}`;
    default: return `${command.type} ${p.sku ?? ""}`.trim();
  }
}
