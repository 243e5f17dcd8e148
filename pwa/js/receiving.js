// Receiving on the device: judge a scan against the cached receipt (what the
// PO or ASN expects, its barcodes with pack quantities, its pallets), and show
// the receipt as it will be once this device's unsent lines arrive. Pure: no
// DOM, no network (pwa/tests/receiving.test.mjs).
import { asSent } from "./scan.js";
import { qty as fmt } from "./ui.js";

/** A catalog for scan.js: the receipt's expected barcodes first, then the device's catalog. */
export function receiptCatalog(receipt, fallback) {
  const codes = new Map();
  for (const line of receipt?.lines ?? []) {
    for (const b of line.expected_barcodes ?? []) {
      codes.set(b.code, { sku: line.sku, pack_qty: b.pack_qty,
        item: { sku: line.sku, description: line.description, uom: line.uom, tracking: line.tracking,
          perishable: line.perishable } });
    }
  }
  return {
    bin: (code) => fallback.bin(code),
    barcode: (code) => codes.get(code) ?? fallback.barcode(code),
    badge: () => null,
    document: (code) => fallback.document?.(code) ?? null,
  };
}

/**
 * What a goods scan means for this receipt. `answer` is scan.js's reading;
 * `cartons` how many of the scanned unit the person holds; `damaged` with a
 * reason sends it to quarantine. Returns one of
 *   {error}                                    refuse on the device, say why
 *   {need: "lot" | "expiry", sku, item, ...}   ask for what the label lacked
 *   {type, payload, local: {sku, qty, lot}, warn?}  a command to queue
 */
export function judgeGoods(receipt, answer, { cartons = 1, damaged = false, reason = "", lot = null,
  expiry = null, override = null, gsSubstitute = null } = {}) {
  if (!receipt) return { error: "open a receipt first: scan the PO or ASN barcode" };
  if (receipt.status === "closed") return { error: `receipt for ${label(receipt)} is closed; open a new one` };
  if (answer.kind === "invalid") return { error: answer.error };
  if (answer.kind === "sscc") return judgePallet(receipt, answer.sscc);
  if (answer.kind === "bin" || answer.kind === "tote") return { error: `${answer.bin.code} is a bin: scan the goods` };
  if (answer.kind === "document") return { error: `${answer.document.id ?? answer.raw} is a document: close this receipt first` };
  if (!answer.sku) {
    const gtin = answer.gs1?.gtin ?? answer.gtin;
    return { error: `'${answer.raw}'${gtin ? ` (GTIN ${gtin})` : ""} is not an item barcode here; add the barcode or type the sku` };
  }
  if (damaged && !reason.trim()) return { error: "say why the goods are damaged" };
  if (!(cartons > 0)) return { error: "the quantity must be more than 0" };
  const line = receipt.lines.find((l) => l.sku === answer.sku);
  const item = answer.item ?? { sku: answer.sku, tracking: line?.tracking ?? "none" };
  const tracking = line?.tracking ?? item.tracking ?? "none";
  const gotLot = answer.gs1?.lot ?? lot;
  if (answer.gs1?.lot && lot && lot !== answer.gs1.lot) return { error: `the label says lot ${answer.gs1.lot}, the entry says ${lot}` };
  if (tracking === "lot" && !gotLot) return { need: "lot", sku: answer.sku, answer };
  const announced = line?.expected_lots?.find((x) => x.lot === gotLot);
  const gotExpiry = answer.gs1?.expiry ?? expiry ?? null;
  const perishable = line?.perishable ?? item.perishable;
  if (perishable && gotLot && !gotExpiry && !announced?.expiry && !line?.received_lots?.some((x) => x.lot === gotLot)) {
    return { need: "expiry", sku: answer.sku, answer, lot: gotLot };
  }
  const each = answer.gs1?.count ?? answer.pack_qty ?? 1;
  const adds = answer.gs1?.count ? each : each * cartons;
  // The scan goes as read (the edge reads it with the same rules); a typed sku as a sku.
  const scanned = answer.typed ? { sku: answer.sku } : { barcode: asSent(answer, gsSubstitute) };
  const payload = { receipt_id: receipt.id, ...scanned,
    qty: answer.gs1?.count ? 1 : cartons };
  if (gotLot && !answer.gs1?.lot) payload.lot = gotLot;
  if (gotExpiry && !answer.gs1?.expiry) payload.expiry = gotExpiry;
  if (damaged) Object.assign(payload, { damaged: true, damage_reason: reason.trim() });
  // A supervisor's PIN or badge (or {} from a supervisor's own device); the edge checks it.
  if (override) payload.override = override;
  const local = { sku: answer.sku, qty: adds, lot: gotLot ?? null, damaged };
  if (!line) return { type: "receipt.line", payload, local, warn: `${answer.sku} is not on ${label(receipt)}: received as unexpected` };
  if (!damaged && !override && line.accept_up_to != null && line.received + adds > line.accept_up_to + 1e-9) {
    return { overTolerance: true, error: `${label(receipt)} expects ${fmt(line.expected)} of ${line.sku}; ${fmt(line.received)} received so far, `
      + `+${fmt(adds)} makes ${fmt(line.received + adds)}, beyond the ${fmt(receipt.tolerance_pct)}% tolerance `
      + `(up to ${fmt(line.accept_up_to)} without approval); a supervisor must approve` };
  }
  return { type: "receipt.line", payload, local };
}

function judgePallet(receipt, sscc) {
  const pallet = (receipt.pallets ?? []).find((p) => p.sscc === sscc);
  if (!pallet) return { error: `pallet ${sscc} is not on ${label(receipt)}; receive its cartons one by one` };
  if (pallet.status === "received") return { error: `pallet ${sscc} was received already` };
  const qty = pallet.lines.reduce((n, l) => n + l.qty, 0);
  return { type: "receipt.pallet", payload: { receipt_id: receipt.id, sscc },
    local: { sscc, lines: pallet.lines.map((l) => ({ sku: l.sku, qty: l.qty, lot: l.lot ?? null })), qty } };
}

/** No paperwork: nothing to compare with (the edge says document.type "blind"). */
export function blind(receipt) {
  return !receipt.document || receipt.document.type === "blind";
}

export function label(receipt) {
  return receipt.document?.label ?? (receipt.document ? `${receipt.document.type} ${receipt.document.id}` : "this blind receipt");
}

/** The receipt as it will be once this device's unsent commands for it arrive. */
export function withPending(receipt, commands) {
  const view = structuredClone(receipt);
  view.pending = 0;
  for (const c of commands) {
    if (c.payload?.receipt_id !== view.id) continue;
    view.pending += 1;
    if (c.type === "receipt.close") view.status = "closed";
    if (c.type === "receipt.pallet") {
      const pallet = view.pallets?.find((p) => p.sscc === c.local?.sscc);
      if (pallet) pallet.status = "received";
      for (const l of c.local?.lines ?? []) add(view, l.sku, l.qty, false);
    }
    if (c.type === "receipt.line" && c.local) add(view, c.local.sku, c.local.qty, c.local.damaged);
  }
  return view;
}

function add(view, sku, qty, damaged) {
  let line = view.lines.find((l) => l.sku === sku);
  if (!line) {
    line = { sku, description: "", expected: 0, received: 0, remaining: 0, received_here: 0, damaged_here: 0,
      status: "unexpected", expected_lots: [], received_lots: [], expected_barcodes: [], accept_up_to: null };
    view.lines.push(line);
  }
  line.received += qty;
  line.received_here += qty;
  if (damaged) line.damaged_here += qty;
  line.remaining = Math.max(0, line.expected - line.received);
  if (line.expected > 0) line.status = line.received >= line.expected ? (line.received > line.expected ? "over" : "complete") : "open";
}

/** Lines short beyond the tolerance: closing for good needs a supervisor then. */
export function shortBeyondTolerance(view) {
  if (blind(view) || view.tolerance_pct == null) return [];
  return view.lines.filter((l) => l.expected > 0 && l.received < l.expected * (1 - view.tolerance_pct / 100) - 1e-9);
}

/**
 * The discrepancy list the edge will freeze on close, worked out on the
 * device (shown at once, and offline); the edge's own replaces it when it answers.
 */
export function discrepancies(view) {
  if (blind(view)) return [];
  const out = [];
  for (const l of view.lines) {
    const diff = l.received - l.expected;
    if (l.expected === 0 && l.received > 0) out.push({ kind: "unexpected", sku: l.sku, expected: 0, received: l.received, difference: diff });
    else if (diff < 0) out.push({ kind: "short", sku: l.sku, expected: l.expected, received: l.received, difference: diff });
    else if (diff > 0) out.push({ kind: "over", sku: l.sku, expected: l.expected, received: l.received, difference: diff });
    if (l.damaged_here > 0) out.push({ kind: "damaged", sku: l.sku, expected: l.expected, received: l.damaged_here, difference: l.damaged_here });
  }
  return out;
}
