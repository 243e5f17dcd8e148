// A blind count of one bin on the device: scans add up per item and lot, a
// typed quantity replaces the figure, items the task lists but nobody found
// are sent as 0. The device never holds the expected quantity (the task view
// has none), so nothing here can show it. Pure (pwa/tests/counting.test.mjs).

/** A catalog for scan.js: the bin's listed items' barcodes first, then the device's catalog. */
export function binCatalog(bin, fallback) {
  const codes = new Map();
  for (const look of bin?.look_for ?? []) {
    for (const b of look.barcodes ?? []) {
      codes.set(b.code, { sku: look.sku, pack_qty: b.pack_qty,
        item: { sku: look.sku, description: look.description, uom: look.uom, tracking: look.tracking } });
    }
  }
  return {
    bin: (code) => fallback.bin(code),
    barcode: (code) => codes.get(code) ?? fallback.barcode(code),
    badge: () => null,
    document: () => null,
  };
}

export class BinCount {
  /** bin: one entry of the count task's `bins` (code, only_sku, look_for). */
  constructor(bin, { startedAt = new Date().toISOString() } = {}) {
    this.bin = bin;
    this.startedAt = startedAt;
    this.lines = new Map(); // "sku|lot" -> {sku, lot, description, tracking, qty, serials}
    for (const look of bin.look_for ?? []) {
      this.line(look.sku, look.lot ?? null, look);
    }
  }

  line(sku, lot, info = {}) {
    const key = `${sku}|${lot ?? ""}`;
    if (!this.lines.has(key)) {
      this.lines.set(key, { key, sku, lot, description: info.description ?? "", tracking: info.tracking ?? "none",
        uom: info.uom ?? "", qty: 0, serials: [], touched: false });
    }
    return this.lines.get(key);
  }

  /**
   * Add a scan. Returns {line} when counted, {need: "lot", answer} when a
   * lot-tracked item's label carried no lot, or {error}.
   */
  add(answer, { lot = null } = {}) {
    if (answer.kind === "invalid") return { error: answer.error };
    if (answer.kind === "bin" || answer.kind === "tote") {
      return { error: `${answer.bin.code} is a bin: scan the items in ${this.bin.bin}, or send the count` };
    }
    if (!answer.sku) return { error: `'${answer.raw}' is not an item barcode here; type the sku` };
    if (this.bin.only_sku && answer.sku !== this.bin.only_sku) {
      return { error: `this count is for ${this.bin.only_sku} only; do not report ${answer.sku} here` };
    }
    const listed = (this.bin.look_for ?? []).find((l) => l.sku === answer.sku);
    const tracking = listed?.tracking ?? answer.item?.tracking ?? "none";
    const gotLot = answer.gs1?.lot ?? lot;
    if (tracking === "lot" && !gotLot) return { need: "lot", answer };
    const line = this.line(answer.sku, tracking === "lot" ? gotLot : null, { ...answer.item, ...listed, tracking });
    line.touched = true;
    if (tracking === "serial") {
      const serial = answer.gs1?.serial;
      if (!serial) return { error: `${answer.sku} is serial-tracked; scan the serial number label` };
      if (!line.serials.includes(serial)) line.serials.push(serial); // a serial scanned twice is one piece
      line.qty = line.serials.length;
      return { line };
    }
    line.qty += answer.gs1?.count ?? answer.pack_qty ?? 1;
    return { line };
  }

  /** A typed figure for loose pieces or measured units replaces the scanned one. */
  set(key, qty) {
    const line = this.lines.get(key);
    if (!line || line.tracking === "serial") return;
    line.qty = Math.max(0, Number(qty) || 0);
    line.touched = true;
  }

  /** The `count` command's payload; listed items nobody found go as 0. */
  payload(taskId) {
    const items = [...this.lines.values()].map((l) => {
      const entry = { sku: l.sku };
      if (l.lot) entry.lot = l.lot;
      if (l.tracking === "serial") entry.serials = [...l.serials];
      else entry.qty = l.qty;
      return entry;
    });
    return { task_id: taskId, bin: this.bin.bin, started_at: this.startedAt, items };
  }
}
