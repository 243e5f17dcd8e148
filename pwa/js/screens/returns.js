// Returns: book what a customer sent back into the returns bin
// (return.receive; the first line's command id names the return, so it works
// offline), and decide each returned line: restock into a bin (the suggested
// one is where the item lives), quarantine, or scrap with a reason
// (return.dispose; scrap is for counters and supervisors).
import { describe } from "../api.js";
import { cameraToggle } from "../camera-button.js";
import { cachedGet, fill, h, noteBox, qty as fmt, scanField, stepper } from "../ui.js";

const RETURN_REASONS = ["unwanted", "damaged", "defective", "wrong_item", "expired", "other"];
const SCRAP_REASONS = ["damaged", "expired", "contaminated", "defective", "obsolete", "recalled", "other"];
const MAY_SCRAP = new Set(["counter", "supervisor", "admin"]);

/** A return's lines with this device's unsent decisions taken off what awaits. */
export function awaitingWithPending(ret, commands) {
  const view = structuredClone(ret);
  for (const c of commands) {
    if (c.type !== "return.dispose" || c.payload.return_id !== view.id) continue;
    const line = view.lines.find((l) => l.line_no === c.payload.line_no);
    if (line) line.awaiting = Math.max(0, line.awaiting - (c.payload.qty ?? line.awaiting));
  }
  return view;
}

export function mount(app, root) {
  let mode = "list";
  let booking = null;  // {item, sku, reason, return_id}
  let deciding = null; // {ret, line, action}
  const prompt = h("p", { class: "prompt", id: "returns-prompt", "aria-live": "assertive" });
  const { note, say } = noteBox(app, "returns-note");
  const body = h("div", {});
  const qtyBox = stepper({ id: "returns-qty", label: "Quantity returned", value: 1 });
  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Returns"), prompt, note, body, camera.button, camera.box);
  showList();

  async function showList() {
    mode = "list";
    booking = deciding = null;
    prompt.textContent = "Book a return, or decide a returned line";
    prompt.dataset.stage = "list";
    let returns = [];
    try {
      const [page] = await cachedGet(app, "returns:open", () => app.api.get("/returns", { status: "open" }));
      returns = page?.items ?? [];
    } catch (error) {
      say("error", describe(error));
    }
    if (mode !== "list") return;
    fill(body, h("button", { type: "button", class: "btn btn-wide", id: "returns-book", onclick: () => startBooking(null) },
      "Book a customer return"),
    h("h2", { class: "small" }, "Awaiting a decision"),
    h("ul", { class: "tiles", id: "returns-list" }, returns.filter((r) => r.awaiting > 0).map((r) => h("li", {},
      h("button", { type: "button", class: "tile", id: `return-${r.id}`, "aria-label": `Return ${r.id}: ${fmt(r.awaiting)} awaiting`,
        onclick: () => openReturn(r.id) }, h("span", { class: "tile-title" }, r.id),
      h("span", { class: "tile-hint" }, `${r.customer ?? ""} ${r.order_ref ?? ""} · ${fmt(r.awaiting)} awaiting`))))));
  }

  function startBooking(returnId) {
    mode = "book";
    booking = { return_id: returnId, sku: null, reason: null };
    qtyBox.set(1);
    renderBooking();
  }

  function renderBooking() {
    const b = booking;
    prompt.dataset.stage = !b.sku ? "item" : !b.reason ? "reason" : "bin";
    prompt.textContent = !b.sku ? "Scan the returned item" : !b.reason ? "Why was it sent back?" : "Scan the returns bin";
    const orderRef = h("input", { type: "text", id: "returns-order", "aria-label": "Customer order number",
      placeholder: "Customer order number (if any)", value: b.order_ref ?? "", oninput: (e) => { b.order_ref = e.target.value.trim(); } });
    fill(body, b.return_id ? h("p", { class: "pick-item", id: "returns-id" }, `Return ${b.return_id}`) : null,
      b.sku ? h("p", { class: "pick-item" }, `${b.sku} · ${b.item?.description ?? ""}`) : null,
      b.sku ? qtyBox.row : null,
      b.sku && !b.return_id ? orderRef : null,
      b.sku ? h("ul", { class: "tiles reasons", id: "returns-reasons", "aria-label": "Reason" }, RETURN_REASONS.map((r) =>
        h("li", {}, h("button", { type: "button", class: `btn btn-wide ${b.reason === r ? "" : "btn-quiet"}`, id: `returns-reason-${r}`,
          "aria-pressed": String(b.reason === r), onclick: () => { b.reason = r; renderBooking(); } }, r.replace("_", " "))))) : null,
      scanField({ label: "Type a code", onSubmit: (code) => handle({ raw: code }) }).form,
      h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "returns-done", onclick: showList },
        b.return_id ? "Parcel done" : "Cancel"));
  }

  async function book(bin) {
    const b = booking;
    if (bin.kind !== "returns") return say("error", `bin ${bin.code} is a ${bin.kind} bin; customer returns go into a returns bin`);
    if (!(qtyBox.get() > 0)) return say("error", "the quantity must be more than 0");
    const payload = { sku: b.sku, qty: qtyBox.get(), to_bin: bin.code, reason: b.reason };
    if (b.return_id) payload.return_id = b.return_id;
    else if (b.order_ref) payload.order_ref = b.order_ref;
    if (b.lot) payload.lot = b.lot;
    const command = await app.outbox.add("return.receive", payload);
    // As the edge names it (edge/workflows/returns.py): the random part of the command id.
    const random8 = command.id[14] === "7" ? command.id.slice(-8) : command.id.slice(0, 8);
    const id = b.return_id ?? `RET-${random8.toUpperCase()}`;
    say("ok", `Booked ${fmt(payload.qty)} × ${payload.sku} into ${bin.code} on ${id}`);
    note.textContent = `Booked ${fmt(payload.qty)} × ${payload.sku} into ${bin.code} on ${id}`;
    startBooking(id);
    return undefined;
  }

  async function openReturn(id) {
    mode = "decide";
    let ret;
    try {
      [ret] = await cachedGet(app, `return:${id}`, () => app.api.get(`/returns/${id}`));
    } catch (error) {
      return say("error", describe(error));
    }
    if (!ret) return say("error", "Offline, and this return is not on the device yet");
    deciding = { ret: awaitingWithPending(ret, await app.outbox.pending()), line: null, action: null };
    renderDecide();
    return undefined;
  }

  function renderDecide() {
    const d = deciding;
    prompt.dataset.stage = d.action === "restock" ? "bin" : d.action === "scrap" ? "scrap" : "decide";
    prompt.textContent = d.action === "restock" ? `Scan the bin to restock into (suggested ${d.line.suggested_bin ?? "none"})`
      : d.action === "scrap" ? "Why is it scrapped?" : `Return ${d.ret.id}: decide each line`;
    const lines = d.ret.lines.filter((l) => l.awaiting > 0);
    fill(body, h("ol", { class: "attention", id: "returns-lines" }, lines.length ? lines.map((l) => h("li", { class: "card", dataset: { line: String(l.line_no) } },
      h("h2", {}, `${fmt(l.awaiting)} × ${l.sku}`),
      h("p", { class: "muted" }, `reason ${l.reason} · in ${l.bin}${l.suggested_bin ? ` · lives in ${l.suggested_bin}` : ""}`),
      d.line === l && d.action === "scrap" ? h("div", { class: "row" }, SCRAP_REASONS.map((r) =>
        h("button", { type: "button", class: "btn btn-quiet", id: `returns-scrap-${r}`, onclick: () => dispose(l, "scrap", { reason: r }) }, r)))
        : h("div", { class: "row" },
          h("button", { type: "button", class: "btn", id: `returns-restock-${l.line_no}`, "aria-label": `Restock ${l.sku}`,
            onclick: () => { Object.assign(d, { line: l, action: "restock" }); renderDecide(); } }, "Restock"),
          h("button", { type: "button", class: "btn btn-quiet", id: `returns-quarantine-${l.line_no}`, "aria-label": `Quarantine ${l.sku}`,
            onclick: () => dispose(l, "quarantine") }, "Quarantine"),
          MAY_SCRAP.has(app.user.role) ? h("button", { type: "button", class: "btn btn-quiet", id: `returns-scrapit-${l.line_no}`,
            "aria-label": `Scrap ${l.sku}`, onclick: () => { Object.assign(d, { line: l, action: "scrap" }); renderDecide(); } }, "Scrap") : null)))
      : h("li", { class: "muted empty", id: "returns-decided" }, "Every line is decided.")),
    scanField({ label: "Type a bin code", onSubmit: (code) => handle({ raw: code }) }).form,
    h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "returns-back", onclick: showList }, "Back to returns"));
  }

  async function dispose(line, action, extra = {}) {
    const payload = { return_id: deciding.ret.id, line_no: line.line_no, action, qty: line.awaiting, ...extra };
    await app.outbox.add("return.dispose", payload);
    const where = action === "restock" ? ` to ${extra.to_bin}` : action === "scrap" ? ` (${extra.reason})` : "";
    say("ok", `${action}: ${fmt(line.awaiting)} × ${line.sku}${where}`);
    note.textContent = `${action}: ${fmt(line.awaiting)} × ${line.sku}${where}`;
    deciding.ret = awaitingWithPending(deciding.ret, [{ type: "return.dispose", payload }]);
    deciding.line = deciding.action = null;
    renderDecide();
  }

  function handle(scan) {
    const answer = app.interpret(scan.raw, scan.symbology ?? null);
    if (answer.kind === "invalid") return say("error", answer.error);
    if (mode === "book") {
      if (!booking.sku || (answer.sku && answer.sku !== booking.sku)) {
        if (!answer.sku) return say("error", `'${scan.raw}' is not an item barcode here: scan the returned item`);
        booking.sku = answer.sku;
        booking.item = answer.item;
        booking.lot = answer.gs1?.lot ?? null;
        booking.reason = null;
        qtyBox.set(answer.gs1?.count ?? answer.pack_qty ?? 1);
        say("ok", "");
        return renderBooking();
      }
      if (answer.sku) { qtyBox.set(qtyBox.get() + (answer.pack_qty ?? 1)); return say("ok", ""); }
      if (answer.kind !== "bin") return say("error", `'${scan.raw}' is not a bin: scan the returns bin`);
      if (!booking.reason) return say("error", "pick the reason first");
      return book(answer.bin);
    }
    if (mode === "decide" && deciding.action === "restock") {
      if (answer.kind !== "bin") return say("error", `'${scan.raw}' is not a bin: scan the bin to restock into`);
      if (!["storage", "pick-face"].includes(answer.bin.kind)) {
        return say("error", `bin ${answer.bin.code} is a ${answer.bin.kind} bin; restock into a storage or pick-face bin`);
      }
      return dispose(deciding.line, "restock", { to_bin: answer.bin.code });
    }
    if (mode === "list" && answer.sku) {
      startBooking(null);
      return handle(scan);
    }
    return say("warn", "Pick what to do first");
  }

  return {
    onScan: handle,
    unmount() { camera.stop(); },
    onOutbox(event) {
      if (event.type === "result" && event.result.status === "rejected" && event.command.type.startsWith("return.")) {
        say("error", event.result.problem?.detail ?? "refused");
      }
    },
    // (A decision is folded into the screen's copy when it is made, so a fast
    // answer from the edge cannot bring the line back.)
  };
}
