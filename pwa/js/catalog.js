// The device's copy of the bins, items and barcodes, so a scan is checked on
// the device (scan.js) in a Wi-Fi dead zone as well as next to the access
// point. Refreshed from the edge after sign-in and kept in IndexedDB.

const MAX_AGE_MS = 60 * 60 * 1000;
const PAGE = 1000;

export class LocalCatalog {
  constructor({ bins = [], items = [], barcodes = [], fetched_at = null } = {}) {
    this.fetched_at = fetched_at;
    this.bins = new Map(bins.map((b) => [b.code, b]));
    this.items = new Map(items.map((i) => [i.sku, i]));
    this.barcodes = new Map(barcodes.map((b) => [b.code, b]));
  }

  get size() {
    return this.bins.size + this.barcodes.size;
  }

  bin(code) {
    const record = this.bins.get(code);
    return record ? { ...record } : null;
  }

  barcode(code) {
    const record = this.barcodes.get(code);
    if (!record) return null;
    const item = this.items.get(record.sku);
    return {
      sku: record.sku, pack_qty: record.pack_qty,
      item: item ? { sku: item.sku, description: item.description, uom: item.uom, tracking: item.tracking,
        perishable: item.perishable } : { sku: record.sku },
    };
  }

  item(sku) {
    return this.items.get(sku) ?? null;
  }

  // Badges and documents are only known to the edge.
  badge() { return null; }

  document() { return null; }

  /** Remember what the edge said about a scan, for the next time offline. */
  learn(answer) {
    if ((answer.kind === "bin" || answer.kind === "tote") && answer.bin?.code) {
      this.bins.set(answer.bin.code, answer.bin);
    }
    if (answer.kind === "item" && answer.item?.sku) {
      if (!this.items.has(answer.item.sku)) this.items.set(answer.item.sku, answer.item);
      const code = answer.raw.replace(/[\r\n\t]+$/, "").replace(/^\][A-Za-z][0-9A-Za-z]/, "");
      this.barcodes.set(code, { code, sku: answer.sku, pack_qty: answer.pack_qty });
    }
  }

  toJSON() {
    return { fetched_at: this.fetched_at, bins: [...this.bins.values()], items: [...this.items.values()],
      barcodes: [...this.barcodes.values()] };
  }

  stale(now = Date.now()) {
    return !this.fetched_at || now - Date.parse(this.fetched_at) > MAX_AGE_MS;
  }
}

async function all(api, path) {
  const rows = [];
  let after = null;
  do {
    const page = await api.get(path, { limit: PAGE, after });
    rows.push(...page.items);
    after = page.next_after;
  } while (after);
  return rows;
}

/** Fetch the whole catalog (a few requests even for the full demo site). */
export async function download(api) {
  const [bins, items, barcodes] = await Promise.all([all(api, "/bins"), all(api, "/items"), all(api, "/barcodes")]);
  return new LocalCatalog({ bins, items, barcodes, fetched_at: new Date().toISOString() });
}
