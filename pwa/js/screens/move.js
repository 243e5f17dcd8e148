// Move stock bin to bin: scan the from-bin, the item (a case scan counts its
// pack), the lot or serial if the item needs one, check the quantity, scan the
// to-bin. The move goes into the outbox at once and shows as done on the
// device; the edge's answer follows (or lands under "needs attention").
import { Offline } from "../api.js";
import { cameraToggle } from "../camera-button.js";
import { fill, h, qty as fmt, scanField } from "../ui.js";

const MEASURED = new Set(["kg", "g", "lb", "oz", "t", "l", "ml", "m", "cm", "mm", "ft", "in", "m2", "m3"]);
const PROMPTS = {
  from: "Scan the bin to take from",
  item: "Scan the item",
  lot: "Scan or type the lot",
  serial: "Scan the serial number",
  to: "Check the quantity, then scan the bin to put it in",
};

export function mount(app, root) {
  let s = fresh();
  const prompt = h("p", { class: "prompt", id: "move-prompt", "aria-live": "assertive" });
  const steps = h("dl", { class: "steps", id: "move-steps" });
  const note = h("p", { class: "message", id: "move-note", role: "status" });
  const qtyInput = h("input", { id: "move-qty", type: "number", inputmode: "decimal", min: "0", step: "any",
    "aria-label": "Quantity", oninput: () => { s.qty = Number(qtyInput.value); } });
  const qtyRow = h("div", { class: "qty-row", id: "move-qty-row" },
    h("button", { type: "button", class: "btn btn-square", "aria-label": "One less", onclick: () => bump(-1) }, "−"),
    qtyInput,
    h("button", { type: "button", class: "btn btn-square", "aria-label": "One more", onclick: () => bump(1) }, "+"));
  const { form } = scanField({ label: "Type a code", onSubmit: (code) => handle({ raw: code, data: code, aim: null }) });
  const results = h("ol", { class: "results", id: "move-results", "aria-label": "Moves made on this screen" });
  const reset = h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "move-reset",
    onclick: () => { s = fresh(); render(); } }, "Start over");

  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Move"), prompt, steps, qtyRow, note, form, camera.button, camera.box, reset, results);
  render();

  function fresh() {
    return { step: "from", from: null, sku: null, item: null, lot: null, serial: null, qty: 0, stock: null };
  }

  function bump(delta) {
    s.qty = Math.max(0, (Number(qtyInput.value) || 0) + delta);
    render();
  }

  function say(kind, text) {
    app.signal(kind, kind === "ok" ? "" : text);
    note.dataset.kind = kind;
    note.textContent = text;
  }

  // Scans are taken one after another in the order they were made: one that
  // waits on the edge (below) holds back the next, so a fast second scan
  // cannot overtake a slow first one and land on the wrong step.
  // With none waiting, a scan is taken at once, inside the key event.
  let waiting = null;
  function handle(scan) {
    const mine = waiting ? waiting.then(() => take(scan)) : take(scan);
    const done = mine.catch(() => {}); // a scan that failed (reported as usual) does not stop the next
    waiting = done;
    done.then(() => { if (waiting === done) waiting = null; });
    return mine;
  }

  async function take(scan) {
    let answer = app.interpret(scan.raw, scan.symbology);
    if (answer.kind === "unknown" && !app.catalog.fetched_at && navigator.onLine) {
      // No catalog on the device yet (first sign-in still downloading): ask
      // the edge. What it taught the device so far is not the catalog, so
      // keep asking until the download is in. Otherwise the device's answer
      // stands, so feedback never waits on the network.
      answer = await app.lookup(scan.raw).catch(() => answer);
    }
    accept(answer);
    render();
  }

  function accept(a) {
    const isBin = a.kind === "bin" || a.kind === "tote";
    if (a.kind === "invalid") return say("error", a.error);
    if (s.step === "from") {
      if (!isBin) return say("error", `${label(a)} is not a bin: scan the bin to take from`);
      s.from = a.bin.code;
      s.step = "item";
      return say("ok", "");
    }
    if (s.step === "item" || (s.step === "to" && a.sku && a.sku === s.sku)) return takeItem(a);
    if (s.step === "lot" || s.step === "serial") {
      if (isBin) return say("error", `${a.bin.code} is a bin: ${PROMPTS[s.step].toLowerCase()}`);
      const value = a.gs1?.[s.step] ?? a.raw.replace(/^\][A-Za-z][0-9A-Za-z]/, "").trim();
      s[s.step] = value;
      s.step = "to";
      return say("ok", "");
    }
    if (s.step === "to") {
      if (!isBin) return say("error", a.sku ? `wrong item: this move is for ${s.sku}, you scanned ${a.sku}` : `${label(a)} is not a bin`);
      if (a.bin.code === s.from) return say("error", `${a.bin.code} is the bin you are taking from: scan another bin`);
      if (!(s.qty > 0)) return say("error", "the quantity must be more than 0");
      return finish(a.bin.code);
    }
    return undefined;
  }

  function takeItem(a) {
    if (!a.sku) {
      const what = a.kind === "unknown" ? `'${a.raw}' is not an item here` : `${label(a)} is not an item`;
      return say("error", `${what}: scan the item`);
    }
    const first = s.step === "item";
    s.sku = a.sku;
    s.item = a.item ?? app.catalog.item(a.sku) ?? { sku: a.sku };
    s.qty = (first ? 0 : s.qty) + (a.gs1?.count ?? a.pack_qty ?? 1);
    if (a.gs1?.lot) s.lot = a.gs1.lot;
    if (a.gs1?.serial) s.serial = a.gs1.serial;
    const tracking = s.item.tracking ?? "none";
    if (tracking === "serial") s.qty = 1;
    s.step = tracking === "lot" && !s.lot ? "lot" : tracking === "serial" && !s.serial ? "serial" : "to";
    if (first) checkStock();
    return say("ok", "");
  }

  /** Online, say at once how much the from-bin holds; offline the move is a fact either way. */
  async function checkStock() {
    const mine = s;
    try {
      const rows = (await app.api.stock({ bin: mine.from, sku: mine.sku })).items;
      mine.stock = rows;
    } catch (error) {
      if (!(error instanceof Offline)) console.error(error);
      return;
    }
    if (mine === s) render();
  }

  async function finish(toBin) {
    const payload = { sku: s.sku, qty: s.qty, from_bin: s.from, to_bin: toBin };
    if (s.lot) payload.lot = s.lot;
    if (s.serial) payload.serial = s.serial;
    const line = h("li", { class: "result", dataset: { status: "queued" } },
      h("span", {}, `${fmt(payload.qty)} × ${payload.sku}: ${payload.from_bin} → ${payload.to_bin}`),
      h("span", { class: "status" }, " · saved, sending…"));
    results.prepend(line);
    s = fresh();
    say("ok", `Moved ${fmt(payload.qty)} × ${payload.sku} to ${toBin}`);
    const command = await app.outbox.add("move", payload);
    line.dataset.id = command.id;
    if (command.replay) line.lastChild.textContent = " · saved on this device, sends when online";
  }

  function render() {
    prompt.textContent = PROMPTS[s.step];
    prompt.dataset.step = s.step;
    const held = s.stock ? s.stock.reduce((n, r) => n + (s.lot ? (r.lot === s.lot ? r.qty - r.reserved : 0) : r.qty - r.reserved), 0) : null;
    const row = (name, value, step, extra = null) =>
      [h("dt", { dataset: { active: String(s.step === step) } }, name),
        h("dd", { id: `move-step-${name.toLowerCase()}`, dataset: { active: String(s.step === step) } }, value ?? "–", extra)];
    fill(steps,
      row("From", s.from, "from"),
      row("Item", s.sku && `${s.sku}${s.item?.description ? ` · ${s.item.description}` : ""}`, "item"),
      (s.lot || s.step === "lot") ? row("Lot", s.lot, "lot") : null,
      (s.serial || s.step === "serial") ? row("Serial", s.serial, "serial") : null,
      row("Qty", s.sku ? fmt(s.qty) : null, "to",
        held !== null ? h("span", { class: held < s.qty ? "warn" : "muted" }, ` (${s.from} has ${fmt(held)} free)`) : null),
      row("To", null, "to"));
    qtyRow.hidden = s.step !== "to";
    qtyInput.value = String(s.qty);
    qtyInput.step = MEASURED.has(String(s.item?.uom ?? "").toLowerCase()) ? "any" : "1";
    reset.hidden = s.step === "from";
  }

  return {
    onScan: handle,
    unmount() { camera.stop(); },
    onOutbox(event) {
      if (event.type !== "result") return;
      const line = results.querySelector(`[data-id="${event.command.id}"]`);
      if (!line) return;
      const { status, problem } = event.result;
      line.dataset.status = status === "rejected" ? "rejected" : "done";
      line.lastChild.textContent = status === "rejected" ? ` · refused: ${problem?.detail ?? problem?.title}` : " · done";
    },
  };
}

function label(answer) {
  if (answer.bin) return answer.bin.code;
  if (answer.sku) return answer.sku;
  if (answer.kind === "sscc") return `pallet ${answer.sscc}`;
  if (answer.kind === "badge") return "a badge";
  return `'${answer.raw}'`;
}
