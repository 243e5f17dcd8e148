// Pick: walk a pick list. The list (every line's bin, item, lot, quantity and
// every barcode of the item with its pack) is cached on the device, so each
// scan is checked here, online or not. Each step is an outbox command
// (pick.tote, pick.confirm, pick.short); what the screen shows is the edge's
// last copy of the list with this device's unsent steps applied on top.
import { Offline, describe } from "../api.js";
import { asSent, interpret } from "../scan.js";
import { cameraToggle } from "../camera-button.js";
import { fill, h, qty as fmt, scanField } from "../ui.js";

const TOTE_KINDS = new Set(["tote", "staging"]);

/** The list as it will be once this device's unsent steps arrive. */
export function withPending(list, commands) {
  const view = structuredClone(list);
  for (const c of commands) {
    const p = c.payload;
    if (p.list_id !== view.id) continue;
    if (c.type === "pick.tote") {
      const order = p.order_id && view.orders.find((o) => o.order_id === p.order_id);
      if (order) order.tote = p.tote;
      else view.tote = p.tote;
    }
    const line = view.lines.find((l) => l.seq === p.line);
    if (!line) continue;
    if (c.type === "pick.confirm") {
      line.picked_qty += p.qty;
      line.remaining = Math.max(0, line.remaining - p.qty);
      if (line.remaining === 0) line.status = "picked";
    } else if (c.type === "pick.short") {
      line.picked_qty += p.qty ?? 0;
      line.remaining = 0;
      line.status = "short";
    }
  }
  return view;
}

function toteFor(list, line) {
  if (list.kind !== "cluster") return list.tote;
  return list.orders.find((o) => o.order_id === line.order_id)?.tote ?? line.tote;
}

/** A catalog for scan.js: this list's barcodes first, then the device's catalog. */
function listCatalog(list, fallback) {
  const codes = new Map();
  for (const line of list.lines) {
    for (const b of line.barcodes ?? []) {
      codes.set(b.code, { sku: line.sku, pack_qty: b.pack_qty,
        item: { sku: line.sku, description: line.description, uom: line.uom, tracking: line.tracking } });
    }
  }
  return {
    bin: (code) => fallback.bin(code),
    barcode: (code) => codes.get(code) ?? fallback.barcode(code),
    badge: () => null,
    document: () => null,
  };
}

export function mount(app, root) {
  let list = null;       // the edge's copy, as last fetched or cached
  let view = null;       // list + unsent steps
  let step = null;       // {line, stage: "bin"|"item"|"lot"|"qty", qty, item, lot, serial}
  let fetching = 0;
  let loading = false;
  const early = [];  // scans before the list was there
  const prompt = h("p", { class: "prompt", id: "pick-prompt", "aria-live": "assertive" });
  const big = h("div", { class: "pick-bin", id: "pick-bin", "aria-label": "Next bin" });
  const detail = h("div", { class: "pick-detail", id: "pick-detail" });
  const progress = h("p", { class: "muted", id: "pick-progress" });
  const note = h("p", { class: "message", id: "pick-note", role: "status" });
  const actions = h("div", { class: "row", id: "pick-actions" });
  const { form } = scanField({ label: "Type a code", onSubmit: (code) => handle({ raw: code, data: code, aim: null }) });
  const body = h("div", {});
  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Pick"), body);

  showLists();

  async function showLists() {
    list = null;
    view = null;
    fill(body, h("p", { class: "muted" }, "Loading your pick lists…"));
    let lists;
    try {
      lists = (await app.api.get("/pick-lists", { assigned_to: "me", status: "open" })).items;
      await app.store.cachePut?.("pick-lists", lists);
    } catch (error) {
      if (!(error instanceof Offline)) {
        // Refused (the session ended meanwhile, say): a message, not an error escaping the page.
        fill(body, h("p", { class: "message", "data-kind": "error", id: "pick-error" }, describe(error)));
        return;
      }
      lists = (await app.store.cacheGet?.("pick-lists")) ?? [];
    }
    if (!lists.length) {
      fill(body, h("p", { class: "muted", id: "pick-none" }, "No pick list is assigned to you."));
      return;
    }
    fill(body, h("ul", { class: "tiles", id: "pick-lists" }, lists.map((l) =>
      h("li", {}, h("button", { type: "button", class: "tile", id: `pick-list-${l.id}`,
        "aria-label": `Pick list ${l.id}: ${l.lines - l.done} of ${l.lines} lines left`, onclick: () => open(l.id) },
      h("span", { class: "tile-title" }, `List ${l.id} · ${l.kind}`),
      h("span", { class: "tile-hint" }, `${l.lines - l.done} of ${l.lines} lines left · ${(l.orders ?? []).join(", ")}`))))));
  }

  async function open(id) {
    loading = true;
    try {
      await refresh(id);
    } finally {
      loading = false;
    }
    if (!list) return;
    fill(body, progress, prompt, big, detail, actions, note, form, camera.button, camera.box);
    render();
    // Scans that came while the list was loading (a quick picker scans the
    // tote right after tapping the list) count, in the order they came.
    for (const scan of early.splice(0)) await handle(scan);
  }

  async function refresh(id = list?.id) {
    const mine = ++fetching;
    let fresh = null;
    try {
      fresh = await app.api.get(`/pick-lists/${id}`);
      await app.store.cachePut?.(`pick-list:${id}`, fresh);
    } catch (error) {
      if (!(error instanceof Offline)) {
        say("error", describe(error));
        return;
      }
      fresh = await app.store.cacheGet?.(`pick-list:${id}`);
      if (!fresh) {
        say("error", "Offline, and this list is not on the device yet");
        return;
      }
    }
    if (mine !== fetching) return;
    list = fresh;
    await recompute();
  }

  async function recompute() {
    view = withPending(list, await app.outbox.pending());
    const line = view.lines.find((l) => l.status === "open" && l.remaining > 0);
    if (!line) step = null;
    else if (step?.line.seq !== line.seq) step = { line, stage: "bin", qty: 0 };
    else step.line = line;
  }

  function say(kind, text) {
    app.signal(kind, kind === "ok" ? "" : text);
    note.dataset.kind = kind;
    note.textContent = text;
  }

  function needsTote() {
    if (view.kind !== "cluster") return view.tote ? null : {};
    const order = view.orders.find((o) => !o.tote && view.lines.some((l) => l.order_id === o.order_id && l.remaining > 0));
    return order ?? null;
  }

  async function handle(scan) {
    if (!view) {
      if (loading && early.length < 20) early.push(scan);
      return;
    }
    const answer = interpret(scan.raw, scan.symbology ?? null,
      { catalog: listCatalog(view, app.catalog), gsSubstitute: app.settings.gsSubstitute || null });
    const toteNeeded = needsTote();
    if (toteNeeded) return takeTote(answer, toteNeeded);
    if (!step) return say("warn", "This list is done");
    const line = step.line;
    const isBin = answer.kind === "bin" || answer.kind === "tote";
    if (answer.kind === "invalid") return say("error", answer.error);
    if (step.stage === "bin") {
      const code = isBin ? answer.bin.code : answer.raw;
      if (code !== line.bin) return say("error", `wrong bin: line ${line.seq} is in bin ${line.bin}, you scanned ${code}`);
      step.stage = "item";
      render();
      return say("ok", "");
    }
    if (step.stage === "lot") {
      const lot = answer.gs1?.lot ?? answer.raw.trim();
      if (line.lot && lot !== line.lot) return say("error", `wrong lot: line ${line.seq} reserved lot ${line.lot} of ${line.sku}, you scanned ${lot}`);
      step.lot = lot;
      step.stage = "qty";
      render();
      return say("ok", "");
    }
    return takeItem(answer);
  }

  function takeItem(answer) {
    const line = step.line;
    if (!answer.sku) return say("error", `'${answer.raw}' is not an item barcode here; line ${line.seq} wants ${line.sku}`);
    if (answer.sku !== line.sku) return say("error", `wrong item: line ${line.seq} wants ${line.sku}, you scanned ${answer.sku}`);
    const lot = answer.gs1?.lot;
    if (lot && line.lot && lot !== line.lot) {
      return say("error", `wrong lot: line ${line.seq} reserved lot ${line.lot} of ${line.sku}, you scanned ${lot}`);
    }
    const adds = answer.gs1?.count ?? answer.pack_qty ?? 1;
    if (step.qty + adds > line.remaining) {
      return say("error", `line ${line.seq} needs ${fmt(line.remaining - step.qty)} more of ${line.sku}; that scan adds ${fmt(adds)}`);
    }
    step.qty += adds;
    step.item = asSent(answer, app.settings.gsSubstitute || null);
    if (lot) step.lot = lot;
    if (answer.gs1?.serial) step.serial = answer.gs1.serial;
    step.stage = line.tracking === "lot" && !step.lot ? "lot" : "qty";
    say("ok", "");
    if (step.stage === "qty" && step.qty === line.remaining) return confirm();
    render();
    return undefined;
  }

  async function takeTote(answer, order) {
    const isBin = answer.kind === "bin" || answer.kind === "tote";
    if (!isBin) return say("error", `${answer.sku ?? answer.raw} is not a tote: scan a tote or a staging bin`);
    if (!TOTE_KINDS.has(answer.bin.kind)) return say("error", `${answer.bin.code} is a ${answer.bin.kind} bin; scan a tote or a staging bin`);
    const taken = view.kind === "cluster" && view.orders.find((o) => o.tote === answer.bin.code);
    if (taken) return say("error", `${answer.bin.code} already holds order ${taken.order_id}; take another tote`);
    say("ok", "");
    await app.outbox.add("pick.tote", { list_id: view.id, tote: answer.bin.code,
      ...(order.order_id ? { order_id: order.order_id } : {}) });
    await recompute();
    render();
    return undefined;
  }

  async function confirm() {
    const line = step.line;
    if (!(step.qty > 0)) return say("error", "scan the item first");
    const payload = { list_id: view.id, line: line.seq, bin: line.bin, item: step.item, qty: step.qty,
      tote: toteFor(view, line) };
    if (step.lot) payload.lot = step.lot;
    if (step.serial) payload.serial = step.serial;
    step = null;
    await app.outbox.add("pick.confirm", payload);
    await recompute();
    render();
    return undefined;
  }

  async function short() {
    const line = step.line;
    const found = step.qty;
    const payload = { list_id: view.id, line: line.seq, bin: line.bin, qty: found, tote: toteFor(view, line) };
    if (found > 0) payload.item = step.item;
    if (step.lot) payload.lot = step.lot;
    step = null;
    say("warn", `Line ${line.seq} reported short: ${fmt(found)} found`);
    await app.outbox.add("pick.short", payload);
    await recompute();
    render();
  }

  function render() {
    if (!view) return;
    const lines = view.lines;
    const done = lines.filter((l) => l.status !== "open" || l.remaining === 0).length;
    const picked = lines.reduce((n, l) => n + l.picked_qty, 0);
    progress.textContent = `List ${view.id} · line ${Math.min(done + 1, lines.length)} of ${lines.length} · ${fmt(picked)} of ${fmt(view.qty)} picked`;
    progress.dataset.done = String(done);
    const tote = needsTote();
    if (tote) {
      prompt.textContent = tote.order_id ? `Scan a tote for order ${tote.order_id} (slot ${tote.slot})` : `Scan a tote for list ${view.id}`;
      prompt.dataset.stage = "tote";
      fill(big);
      fill(detail);
      fill(actions);
      return;
    }
    if (!step) {
      prompt.textContent = "List done: take the tote to packing";
      prompt.dataset.stage = "done";
      fill(big);
      fill(detail);
      fill(actions, h("button", { type: "button", class: "btn btn-wide", onclick: showLists }, "Back to my lists"));
      return;
    }
    const line = step.line;
    prompt.dataset.stage = step.stage;
    prompt.textContent = { bin: "Go to bin, scan its label", item: `Scan the item (${fmt(line.remaining - step.qty)} to pick)`,
      lot: `Scan or type lot ${line.lot ?? ""}`, qty: "Scan more, or confirm the quantity" }[step.stage];
    fill(big, line.bin);
    fill(detail, h("p", { class: "pick-item" }, `${line.sku} · ${line.description ?? ""}`),
      h("p", {}, h("strong", {}, `${fmt(step.qty)} / ${fmt(line.remaining)}`), line.uom ? ` ${line.uom}` : "",
        line.lot ? ` · lot ${line.lot}` : "", line.expiry ? ` · exp ${line.expiry}` : ""),
      h("p", { class: "muted small" }, `into ${toteFor(view, line) ?? "?"}${line.order_id ? ` · order ${line.order_id}` : ""}`));
    fill(actions,
      step.stage === "qty" ? h("button", { type: "button", class: "btn", id: "pick-confirm", onclick: confirm }, `Confirm ${fmt(step.qty)}`) : null,
      step.stage !== "bin" ? h("button", { type: "button", class: "btn btn-quiet", id: "pick-short", onclick: short,
        "aria-label": `Report line ${line.seq} short with ${fmt(step.qty)} found` }, "Short") : null);
  }

  let timer = null;
  const resync = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => { if (list) { await refresh(); render(); } }, 300);
  };
  return {
    onScan: handle,
    async onOutbox(event) {
      if (event.type !== "result" || !list || event.command.payload?.list_id !== list.id) return;
      if (event.result.status !== "rejected") {
        // The edge took this step: fold it into the cached copy now, so a
        // reload in a dead zone does not show it as undone. The refresh that
        // follows (when online) replaces the copy with the edge's own.
        list = withPending(list, [event.command]);
        await app.store.cachePut?.(`pick-list:${list.id}`, list);
        await recompute();
        render();
      }
      resync();
    },
    onLive(name) {
      if (name === "list.changed" || name === "task.assigned") (list ? resync() : showLists());
    },
    unmount() { clearTimeout(timer); camera.stop(); },
  };
}
