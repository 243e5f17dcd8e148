// Scan anything: what is this bin / item / pallet, and what stock is where.
// The device answers at once from its own catalog; the edge's answer and the
// stock follow when the network is there. Stock shown includes this device's
// moves that are still waiting to be sent.
import { Offline, describe } from "../api.js";
import { openCamera } from "../camera.js";
import { photoControl } from "../photo.js";
import { fill, h, qty, scanField } from "../ui.js";

const HISTORY = 100;
const BURST_QUIET_MS = 120;

export function mount(app, root) {
  const card = h("section", { class: "card", id: "lookup-result", "aria-live": "polite", "aria-label": "Scan result" },
    h("p", { class: "muted" }, "Scan a bin, item, pallet or badge."));
  const log = h("ol", { class: "scan-log", id: "scan-log", "aria-label": "Scans on this screen, newest first" });
  const { form } = scanField({ label: "Type a code", onSubmit: (code) => handle({ raw: code, data: code, aim: null }) });
  const cameraBox = h("div", { class: "camera", id: "camera-box" });
  let camera = null;
  const cameraButton = h("button", { type: "button", class: "btn btn-wide", id: "camera-toggle", "aria-pressed": "false",
    onclick: async () => {
      if (camera) {
        camera.stop();
        camera = null;
        cameraButton.setAttribute("aria-pressed", "false");
        cameraButton.textContent = "Scan with camera";
        return;
      }
      try {
        camera = await openCamera(cameraBox, (scan) => app.onScan(scan));
        cameraButton.setAttribute("aria-pressed", "true");
        cameraButton.textContent = "Stop camera";
      } catch (error) {
        fill(cameraBox, h("p", { class: "message", "data-kind": "error" }, `Camera: ${describe(error)}`));
      }
    } }, "Scan with camera");
  let latest = 0;

  const photo = photoControl(app, (scan) => app.onScan(scan));

  fill(root, h("h1", {}, "Look up"), form, cameraButton, cameraBox, photo, card,
    h("h2", { class: "small" }, "Recent scans"), log);

  async function handle(scan) {
    const mine = ++latest;
    const local = app.interpret(scan.raw);
    app.signal(local.kind === "invalid" ? "error" : local.kind === "unknown" ? "warn" : "ok");
    log.prepend(h("li", { dataset: { code: scan.raw, kind: local.kind } }, h("code", {}, printable(scan.raw)), " ", h("span", { class: "kind" }, local.kind)));
    while (log.children.length > HISTORY) log.lastChild.remove();
    show(local, null, "device");
    // During a burst only the last scan is worth a trip to the edge.
    await new Promise((resolve) => { setTimeout(resolve, BURST_QUIET_MS); });
    if (mine !== latest) return;
    let answer = local;
    try {
      answer = await app.lookup(scan.raw);
    } catch (error) {
      if (mine === latest) fill(card, h("p", { class: "message", "data-kind": "error" }, describe(error)));
      return;
    }
    if (mine !== latest) return; // a newer scan owns the card
    show(answer, null, answer.source);
    const filter = stockFilter(answer);
    if (!filter) return;
    let stock = null;
    try {
      // Offline, the last answer the service worker kept is better than none, if labelled.
      stock = await app.api.stock({ ...filter, limit: 50 }, { stale: true });
    } catch (error) {
      // Offline: the card says so below. Anything else (the session ended while
      // this was on its way, a refusal) is said here: it must not escape the page.
      if (!(error instanceof Offline)) {
        if (mine === latest) fill(card, h("p", { class: "message", "data-kind": "error" }, describe(error)));
        return;
      }
    }
    if (mine !== latest) return;
    const pending = (await app.outbox.pending()).filter((c) => c.type === "move");
    const rows = stock === null ? null : withPending(stock.items, pending, filter);
    const warning = stock === null ? "Offline: stock cannot be read now"
      : stock.stale_since ? `Offline: stock as last read (${new Date(stock.stale_since).toLocaleTimeString()})` : null;
    show(answer, rows, answer.source, warning);
  }

  function show(answer, rows, source, warning = null) {
    fill(card, h("h2", { id: "lookup-kind", dataset: { kind: answer.kind } }, title(answer)),
      h("p", { class: "muted" }, describeAnswer(answer)),
      source === "device" ? h("p", { class: "muted small" }, "Answered by this device (edge not reached)") : null,
      warning ? h("p", { class: "message", id: "lookup-warning", "data-kind": "warn" }, warning) : null,
      rows ? stockTable(answer, rows) : null);
  }

  if (app.pendingLookup) {
    const scan = app.pendingLookup;
    app.pendingLookup = null;
    handle(scan);
  }
  return {
    onScan: handle,
    unmount() {
      camera?.stop();
    },
  };
}

function printable(text) {
  return text.replace(/\x1d/g, "<GS>").replace(/[\r\n\t]/g, "");
}

function title(answer) {
  switch (answer.kind) {
    case "bin": return `Bin ${answer.bin.code}`;
    case "tote": return `Tote ${answer.bin.code}`;
    case "item": return answer.sku;
    case "gs1": return answer.sku ?? `GTIN ${answer.gs1.gtin ?? "?"}`;
    case "sscc": return `Pallet ${answer.sscc}`;
    case "badge": return `Badge of ${answer.user.name}`;
    case "document": return `${answer.document.type ?? "Document"} ${answer.document.id}`;
    case "invalid": return "Cannot read this label";
    default: return "Unknown code";
  }
}

function describeAnswer(answer) {
  const bits = [];
  if (answer.bin) bits.push(`zone ${answer.bin.zone}`, answer.bin.kind);
  if (answer.item?.description) bits.push(answer.item.description);
  if (answer.pack_qty && answer.pack_qty !== 1) bits.push(`case of ${qty(answer.pack_qty)}`);
  if (answer.gs1?.lot) bits.push(`lot ${answer.gs1.lot}`);
  if (answer.gs1?.expiry) bits.push(`expires ${answer.gs1.expiry}`);
  if (answer.gs1?.serial) bits.push(`serial ${answer.gs1.serial}`);
  if (answer.gtin) bits.push(`GTIN ${answer.gtin} is not known here`);
  if (answer.error) bits.push(answer.error);
  return bits.join(" · ") || printable(answer.raw);
}

function stockFilter(answer) {
  if (answer.kind === "bin" || answer.kind === "tote") return { bin: answer.bin.code };
  if (answer.sku) return { sku: answer.sku };
  return null;
}

/** Stock rows with this device's unsent moves applied: what the floor will look like. */
export function withPending(rows, commands, filter) {
  const out = rows.map((r) => ({ ...r, pending: 0 }));
  const row = (bin, sku, lot) => {
    let found = out.find((r) => r.bin === bin && r.sku === sku && (r.lot ?? null) === (lot ?? null));
    if (!found) {
      found = { bin, sku, lot: lot ?? null, qty: 0, reserved: 0, pending: 0 };
      out.push(found);
    }
    return found;
  };
  for (const { payload: p } of commands) {
    for (const [bin, sign] of [[p.from_bin, -1], [p.to_bin, 1]]) {
      if ((filter.bin && filter.bin !== bin) || (filter.sku && filter.sku !== p.sku)) continue;
      const r = row(bin, p.sku, p.lot);
      r.qty += sign * p.qty;
      r.pending += sign * p.qty;
    }
  }
  return out.filter((r) => r.qty !== 0 || r.pending !== 0);
}

function stockTable(answer, rows) {
  if (!rows.length) return h("p", { class: "muted" }, "No stock here.");
  const byBin = answer.kind === "bin" || answer.kind === "tote";
  return h("table", { class: "stock", id: "stock-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, byBin ? "Item" : "Bin"), h("th", { scope: "col" }, "Lot"),
      h("th", { scope: "col", class: "num" }, "Qty"))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: { bin: r.bin, sku: r.sku } },
      h("td", {}, byBin ? r.sku : r.bin), h("td", {}, r.lot ?? "–"),
      h("td", { class: "num" }, qty(r.qty), r.pending ? h("span", { class: "pending" }, ` (${r.pending > 0 ? "+" : ""}${qty(r.pending)} unsent)`) : null)))));
}
