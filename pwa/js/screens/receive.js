// Receive: pick the dock, scan the PO or ASN barcode (or pick it from the
// list, join a receipt already open, or receive blind), then the goods: a GS1
// label fills item, lot, expiry and count, a case barcode counts its pack, an
// SSCC receives a whole ASN pallet, damaged goods go to quarantine with a
// reason. Closing shows the discrepancy list. Every step is an outbox command
// (receipt.open / .line / .pallet / .close); the receipt id is the id of the
// receipt.open command, so a dead zone does not stop the work.
import { describe } from "../api.js";
import { discrepancies, judgeGoods, label, receiptCatalog, shortBeyondTolerance, withPending } from "../receiving.js";
import { interpret } from "../scan.js";
import { cameraToggle } from "../camera-button.js";
import { cachedGet, fill, h, noteBox, qty as fmt, scanField, stepper } from "../ui.js";

export function mount(app, root) {
  let dock = app.settings.dockBin || firstDock(app);
  let docs = { pos: [], asns: [], receipts: [] };
  let receipt = null;   // the edge's copy (or a skeleton made on the device)
  let view = null;      // receipt + unsent lines
  let need = null;      // {need: "lot"|"expiry", answer, lot?}
  let damaged = false;
  let closing = false;
  let approval = null;  // {kind: "line", answer, extra} | {kind: "close"}: waiting for a supervisor
  const body = h("div", {});
  const prompt = h("p", { class: "prompt", id: "receive-prompt", "aria-live": "assertive" });
  const { note, say } = noteBox(app, "receive-note");
  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Receive"), prompt, note, camera.button, camera.box, body);
  resume();

  // A reload (even offline) lands back in the receipt this device was working on.
  async function resume() {
    const current = await app.store.cacheGet?.("receive:current");
    if (current) return join(current);
    return start();
  }

  async function remember(id) {
    await app.store.cachePut?.("receive:current", id);
  }

  function docCatalog() {
    const documents = new Map();
    for (const p of docs.pos) documents.set(p.id, { type: "purchase_order", id: p.id, status: p.status });
    for (const a of docs.asns) documents.set(a.id, { type: "asn", id: a.id, status: a.status, po_id: a.po_id });
    return { bin: (c) => app.catalog.bin(c), barcode: (c) => app.catalog.barcode(c), badge: () => null,
      document: (c) => documents.get(c) ?? null };
  }

  async function start() {
    receipt = view = null;
    await remember(null);
    prompt.textContent = "Scan the PO or ASN barcode, or pick the delivery";
    prompt.dataset.stage = "document";
    fill(body, h("p", { class: "muted" }, "Loading expected deliveries…"));
    try {
      const [pos] = await cachedGet(app, "receive:pos", () => app.api.get("/purchase-orders", { limit: 200 }));
      const [asns] = await cachedGet(app, "receive:asns", () => app.api.get("/asns", { limit: 200 }));
      const [open] = await cachedGet(app, "receive:receipts", () => app.api.get("/receipts", { status: "open" }));
      docs = { pos: pos?.items ?? [], asns: asns?.items ?? [], receipts: open?.items ?? [] };
    } catch (error) {
      say("error", describe(error));
    }
    renderStart();
  }

  function renderStart() {
    const dockLine = h("p", { id: "receive-dock" }, "Unloading into ", h("strong", {}, dock ?? "?"),
      h("span", { class: "muted" }, " (scan a dock label to change)"));
    const tile = (id, title, hint, onclick) => h("li", {}, h("button", { type: "button", class: "tile", id,
      "aria-label": `${title}: ${hint}`, onclick }, h("span", { class: "tile-title" }, title), h("span", { class: "tile-hint" }, hint)));
    const { form } = scanField({ label: "Type a PO or ASN number", onSubmit: (code) => handle({ raw: code }) });
    fill(body, dockLine, form,
      docs.receipts.length ? h("h2", { class: "small" }, "Receipts open now (join one)") : null,
      h("ul", { class: "tiles", id: "receive-open" }, docs.receipts.map((r) =>
        tile(`receipt-${r.id}`, `Join ${r.asn_id ?? r.po_id ?? "blind receipt"}`, `at ${r.dock_bin}`, () => join(r.id)))),
      h("h2", { class: "small" }, "Expected deliveries"),
      h("ul", { class: "tiles", id: "receive-docs" },
        docs.asns.map((a) => tile(`doc-${a.id}`, a.id, `${a.carrier ?? ""} · PO ${a.po_id} · ${a.line_count} lines`, () => open(a.id))),
        docs.pos.map((p) => tile(`doc-${p.id}`, p.id, `${p.supplier} · ${p.line_count} lines`, () => open(p.id)))),
      h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "receive-blind", onclick: () => open(null) },
        "Receive blind (no paperwork)"));
  }

  async function open(documentId) {
    if (!dock) return say("error", "scan the dock bin you unload into first");
    const payload = { dock_bin: dock, ...(documentId ? { document: documentId } : {}) };
    const command = await app.outbox.add("receipt.open", payload);
    say("ok", `Receiving ${documentId ?? "blind"} at ${dock}`);
    // Until the edge answers, a skeleton: goods are checked against the catalog only.
    const doc = documentId ? docCatalog().document(documentId) : null;
    receipt = { id: command.id, dock_bin: dock, status: "open", tolerance_pct: null,
      document: doc ? { type: doc.type, id: doc.id, label: `${doc.type === "asn" ? "ASN" : "PO"} ${doc.id}` } : null,
      lines: [], pallets: [], skeleton: true };
    await app.store.cachePut?.(`receipt:${receipt.id}`, receipt);
    await remember(receipt.id);
    await showGoods();
    return undefined;
  }

  async function join(id) {
    receipt = await app.store.cacheGet?.(`receipt:${id}`) ?? { id, status: "open", lines: [], pallets: [], skeleton: true };
    await remember(id);
    await refresh();
    await showGoods();
  }

  async function refresh() {
    if (!receipt) return;
    try {
      const [fresh] = await cachedGet(app, `receipt:${receipt.id}`, () => app.api.get(`/receipts/${receipt.id}`));
      if (fresh) receipt = fresh;
    } catch (error) {
      // 404: the open has not reached the edge yet; the skeleton stands.
      if (error.status !== 404) say("error", describe(error));
    }
    await recompute();
  }

  async function recompute() {
    view = withPending(receipt, await app.outbox.pending());
    render();
  }

  const cartons = stepper({ id: "receive-qty", label: "Cartons of the scanned kind", value: 1 });
  const damageButton = h("button", { type: "button", class: "btn btn-quiet", id: "receive-damaged", "aria-pressed": "false",
    onclick: () => { damaged = !damaged; render(); } }, "Damaged");
  const reasonInput = h("input", { type: "text", id: "receive-damage-reason", "aria-label": "Why damaged",
    placeholder: "Why damaged (e.g. crushed carton)" });
  const extraInput = h("input", { type: "text", id: "receive-extra", "aria-label": "Lot or expiry", autocomplete: "off" });
  const extraForm = h("form", { class: "scan-field", id: "receive-extra-form", onsubmit: (event) => {
    event.preventDefault();
    const value = extraInput.value.trim();
    if (value) provide(value);
  } }, extraInput, h("button", { type: "submit", class: "btn", "aria-label": "Use this lot or expiry" }, "OK"));
  const table = h("table", { class: "stock", id: "receive-lines", "aria-label": "Lines of this receipt" });
  const closeBox = h("div", { id: "receive-close-box" });
  const approvalBox = h("div", { id: "receive-approval" });
  const supervisor = ["supervisor", "admin"].includes(app.user.role);
  const goods = scanField({ label: "Type a barcode or sku", onSubmit: (code) => handle({ raw: code, typed: true }) });

  async function showGoods() {
    need = null;
    damaged = false;
    closing = false;
    fill(body, h("p", { id: "receive-doc", class: "pick-item" }),
      h("p", { class: "muted small" }, "How many of the scanned unit (cases count their pack):"), cartons.row,
      h("div", { class: "row" }, damageButton), reasonInput, extraForm, approvalBox, goods.form, table, closeBox);
    await recompute();
  }

  function render() {
    if (!view) return;
    const docLine = document.getElementById("receive-doc") ?? h("p");
    docLine.dataset.receipt = view.id;
    fill(docLine, `${label(view)} · ${view.dock_bin ?? dock}`,
      view.pending ? h("span", { class: "pending" }, ` · ${view.pending} to send`) : "");
    // Closed: the discrepancy list comes first and the goods controls go.
    const closed = view.status === "closed";
    for (const el of [cartons.row, cartons.row.previousElementSibling, damageButton.parentElement, goods.form]) {
      if (el) el.hidden = closed;
    }
    if (closed) table.before(closeBox);
    else table.after(closeBox);
    damageButton.setAttribute("aria-pressed", String(damaged));
    damageButton.textContent = damaged ? "Damaged: to quarantine" : "Damaged";
    reasonInput.hidden = !damaged;
    extraForm.hidden = !need;
    if (view.status === "closed") {
      prompt.textContent = "Receipt closed";
      prompt.dataset.stage = "closed";
    } else if (need) {
      prompt.dataset.stage = need.need;
      prompt.textContent = need.need === "lot" ? `Scan or type the lot of ${need.sku}` : `Type the expiry of ${need.sku} lot ${need.lot} (YYYY-MM-DD)`;
      extraInput.placeholder = need.need === "lot" ? "Lot" : "Expiry YYYY-MM-DD";
    } else {
      prompt.dataset.stage = "goods";
      prompt.textContent = "Scan the goods or a pallet label";
    }
    fill(table, h("thead", {}, h("tr", {}, h("th", {}, "Item"), h("th", { class: "num" }, "Expected"),
      h("th", { class: "num" }, "Received"))),
    h("tbody", {}, view.lines.map((l) => h("tr", { dataset: { sku: l.sku, status: l.status } },
      h("td", {}, l.sku, h("br"), h("span", { class: "muted small" }, l.description ?? "")),
      h("td", { class: "num" }, fmt(l.expected)),
      h("td", { class: `num status-${l.status}` }, fmt(l.received), l.damaged_here ? h("span", { class: "warn" }, ` (${fmt(l.damaged_here)} damaged)`) : "")))));
    renderApproval();
    renderClose();
  }

  // Beyond the tolerance a supervisor approves on this handheld: their PIN
  // typed here or their badge scanned (the edge checks it, never the device's
  // word), or a supervisor's own device approves as itself.
  // The box is built once per approval asked for, not on every render: a re-read
  // of the receipt while the supervisor types must not wipe their PIN.
  let shownApproval = null;
  function renderApproval() {
    if (approval === shownApproval) return undefined;
    shownApproval = approval;
    if (!approval) return fill(approvalBox);
    const pin = h("input", { type: "password", id: "receive-approve-pin", inputmode: "numeric", autocomplete: "off",
      "aria-label": "Supervisor PIN", placeholder: "Supervisor PIN or scan badge" });
    return fill(approvalBox, h("div", { class: "card" },
      h("p", { class: "pick-item" }, approval.kind === "close" ? "Closing short needs a supervisor" : "Over the tolerance: a supervisor must approve"),
      supervisor ? null : h("form", { class: "scan-field", onsubmit: (event) => {
        event.preventDefault();
        if (pin.value.trim()) approve({ pin: pin.value.trim() });
      } }, pin, h("button", { type: "submit", class: "btn", id: "receive-approve" }, "Approve")),
      h("div", { class: "row" },
        supervisor ? h("button", { type: "button", class: "btn", id: "receive-approve-self", onclick: () => approve({}) },
          "Approve as supervisor") : null,
        h("button", { type: "button", class: "btn btn-quiet", id: "receive-approve-cancel",
          onclick: () => { approval = null; render(); } }, "Cancel"))));
  }

  function approve(override) {
    const pending = approval;
    approval = null;
    if (pending.kind === "close") return close(true, override);
    return take(pending.answer, { ...pending.extra, override });
  }

  function renderClose() {
    if (view.status === "closed") {
      const list = view.discrepancies ?? discrepancies(view);
      fill(closeBox, h("h2", {}, "Discrepancies"),
        h("ul", { class: "results", id: "receive-discrepancies", dataset: { source: view.discrepancies ? "edge" : "device" } },
          list.length ? list.map((d) => h("li", { class: "result", dataset: { kind: d.kind, sku: d.sku } },
            `${d.kind}: ${d.sku} · expected ${fmt(d.expected)}, received ${fmt(d.received)}`))
            : h("li", { class: "muted" }, "None: everything arrived as expected")),
        (view.putaway_tasks ?? []).length ? h("p", { class: "muted" }, `${view.putaway_tasks.length} putaway task(s) made`) : null,
        h("button", { type: "button", class: "btn btn-wide", id: "receive-next", onclick: start }, "Next delivery"));
      return;
    }
    if (closing) {
      fill(closeBox, h("p", { class: "pick-item" }, "Is this the whole delivery?"),
        h("div", { class: "row" },
          h("button", { type: "button", class: "btn", id: "receive-close-final", onclick: () => close(true) }, "Yes, close it"),
          h("button", { type: "button", class: "btn btn-quiet", id: "receive-close-more", onclick: () => close(false) }, "No, more is coming"),
          h("button", { type: "button", class: "btn btn-quiet", onclick: () => { closing = false; render(); } }, "Cancel")));
      return;
    }
    fill(closeBox, h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "receive-close",
      onclick: () => { closing = true; render(); } }, "Close receipt"));
  }

  async function close(final, override = null) {
    const shorts = final && !override ? shortBeyondTolerance(view) : [];
    if (shorts.length) {
      approval = { kind: "close" };
      closing = false;
      say("warn", `short beyond the ${fmt(view.tolerance_pct)}% tolerance: ${shorts.map((l) => `${l.sku} ${fmt(l.received)} of ${fmt(l.expected)}`).join(", ")}; `
        + "a supervisor must approve closing it short, or close with \"more is coming\"");
      render();
      return;
    }
    await app.outbox.add("receipt.close", { receipt_id: receipt.id, final, ...(override ? { override } : {}) });
    say("ok", "Receipt closed");
    closing = false;
    await recompute();
  }

  function provide(value) {
    const pending = need;
    extraInput.value = "";
    need = null;
    if (pending.need === "lot") return take(pending.answer, { lot: value });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      need = pending;
      return say("error", "type the expiry as YYYY-MM-DD");
    }
    return take(pending.answer, { lot: pending.lot, expiry: value });
  }

  async function handle(scan) {
    if (!receipt) return chooseDocument(scan);
    if (approval && !supervisor && app.interpret(scan.raw).kind !== "bin") {
      // While an approval is asked for, a scan is the supervisor's badge.
      return approve({ badge: scan.raw.trim() });
    }
    const catalog = receiptCatalog(view ?? receipt, app.catalog);
    let answer = interpret(scan.raw, scan.symbology ?? null, { catalog, gsSubstitute: app.settings.gsSubstitute || null });
    if (need && !answer.sku && answer.kind !== "sscc" && answer.kind !== "bin") return provide(answer.gs1?.lot ?? scan.raw.trim());
    if (scan.typed && !answer.sku && answer.kind !== "sscc") {
      const sku = scan.raw.trim();
      const line = view.lines.find((l) => l.sku === sku);
      const item = line ?? app.catalog.item(sku);
      if (item) answer = { kind: "item", raw: sku, sku, pack_qty: 1, item: { sku, tracking: item.tracking ?? "none", perishable: item.perishable }, typed: true };
    }
    return take(answer, {});
  }

  async function take(answer, extra) {
    const options = { cartons: cartons.get(), damaged, reason: reasonInput.value,
      gsSubstitute: app.settings.gsSubstitute || null, ...extra };
    const verdict = judgeGoods(view, answer, options);
    if (verdict.overTolerance) {
      approval = { kind: "line", answer, extra: { cartons: options.cartons, lot: options.lot, expiry: options.expiry } };
      say("error", verdict.error);
      render();
      return undefined;
    }
    if (verdict.error) return say("error", verdict.error);
    if (verdict.need) {
      need = { ...verdict, lot: verdict.lot ?? extra.lot };
      say("warn", verdict.need === "lot" ? `${verdict.sku} needs its lot` : `${verdict.sku} lot ${need.lot} needs its expiry`);
      render();
      extraInput.focus();
      return undefined;
    }
    const what = verdict.type === "receipt.pallet" ? `pallet ${verdict.local.sscc}: ${fmt(verdict.local.qty)} in all`
      : `${fmt(verdict.local.qty)} × ${verdict.local.sku}${verdict.local.lot ? ` lot ${verdict.local.lot}` : ""}${damaged ? " to quarantine" : ""}`;
    say(verdict.warn ? "warn" : "ok", verdict.warn ? `${verdict.warn} · ${what}` : `Received ${what}`);
    note.textContent = verdict.warn ? `${verdict.warn} · ${what}` : `Received ${what}`;
    await app.outbox.add(verdict.type, verdict.payload, verdict.local);
    cartons.set(1);
    if (damaged) { damaged = false; reasonInput.value = ""; }
    await recompute();
    return undefined;
  }

  async function chooseDocument(scan) {
    let answer = interpret(scan.raw, scan.symbology ?? null, { catalog: docCatalog() });
    if (answer.kind === "bin") {
      if (answer.bin.kind !== "dock") return say("error", `${answer.bin.code} is a ${answer.bin.kind} bin; receipts land in a dock bin`);
      dock = answer.bin.code;
      say("ok", `Unloading into ${dock}`);
      return renderStart();
    }
    if (answer.kind !== "document" && navigator.onLine) answer = await app.lookup(scan.raw).catch(() => answer);
    if (answer.kind !== "document") {
      return say("error", `no purchase order or ASN '${scan.raw.trim()}'; scan the document barcode again or receive blind`);
    }
    return open(answer.document.id);
  }

  let timer = null;
  const resync = () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(), 250);
  };
  return {
    onScan: handle,
    onOutbox(event) {
      if (event.type !== "result" || !receipt) return;
      const p = event.command.payload ?? {};
      if (p.receipt_id !== receipt.id && event.command.id !== receipt.id) return;
      if (event.result.status === "rejected") say("error", event.result.problem?.detail ?? "refused");
      else if (event.command.type !== "receipt.open") {
        // Taken by the edge and gone from the outbox: keep showing it until the re-read.
        const { pending, ...folded } = withPending(receipt, [event.command]);
        receipt = folded;
        // Kept on the device too: a re-read that finds the edge out of reach falls back to this copy.
        app.store.cachePut?.(`receipt:${receipt.id}`, receipt);
        recompute();
      }
      resync();
    },
    unmount() { clearTimeout(timer); camera.stop(); },
  };
}

function firstDock(app) {
  const docks = [...app.catalog.bins.values()].filter((b) => b.kind === "dock" && b.active !== false);
  docks.sort((a, b) => (a.walk_seq ?? 0) - (b.walk_seq ?? 0) || a.code.localeCompare(b.code));
  return docks[0]?.code ?? null;
}
