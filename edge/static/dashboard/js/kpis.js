// The KPI tiles and the small lists under them, from GET /api/v1/dashboard/kpis.
const $ = (sel) => document.querySelector(sel);
const set = (name, text) => { const el = $(`[data-kpi="${name}"]`); if (el) el.textContent = text; };
const fmt = new Intl.NumberFormat();
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

function level(tile, value) { $(tile).dataset.level = value; }

function duration(seconds) {
  if (seconds == null) return "–";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function fillList(name, rows, render) {
  const list = $(`[data-list="${name}"]`);
  list.replaceChildren(...rows.map(render));
  $(`[data-empty="${name}"]`).hidden = rows.length > 0;
}

function el(tag, attrs = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attrs);
  node.append(...children);
  return node;
}

export function renderKpis(k) {
  set("receipts", fmt.format(k.receipts.open));
  set("receipts-sub", `${fmt.format(k.receipts.purchase_orders_open)} POs · ${fmt.format(k.receipts.asns_open)} ASNs expected`);

  const p = k.picks;
  set("picks", `${fmt.format(p.lines_done)} / ${fmt.format(p.lines_due)}`);
  set("picks-sub", p.next_cutoff ? `next cut-off ${time(p.next_cutoff.cutoff_at)}: ${p.next_cutoff.lines_done}/${p.next_cutoff.lines_due} lines`
    : "no more cut-offs today");
  $('[data-kpi="picks-meter"]').style.width = `${p.lines_due ? Math.round(100 * p.lines_done / p.lines_due) : 0}%`;
  level("#tile-picks", p.late_cutoffs ? "bad" : p.lines_due && p.lines_done === p.lines_due ? "ok" : "");

  set("exceptions", fmt.format(k.exceptions.open));
  const kinds = Object.entries(k.exceptions.by_kind);
  set("exceptions-sub", kinds.slice(0, 2).map(([kind, n]) => `${n} ${kind.replaceAll("_", " ")}`).join(" · "));
  level("#tile-exceptions", k.exceptions.open ? "warn" : "ok");

  const s = k.sync;
  if (!s.available) {
    set("sync", "–"); set("sync-sub", "sync not installed");
  } else if (s.status === "not configured") {
    set("sync", "off"); set("sync-sub", `no central configured · ${fmt.format(s.backlog)} not sent`);
    level("#tile-sync", "");
  } else {
    set("sync", duration(s.lag_seconds));
    set("sync-sub", `${fmt.format(s.backlog)} waiting · ${s.status}` +
      (s.last_success_at ? ` · last ok ${time(s.last_success_at)}` : ""));
    level("#tile-sync", s.status === "ok" && s.lag_seconds < 300 ? "ok" : s.status === "not configured" ? "" : "warn");
  }

  const low = k.low_stock;
  set("low", low.available ? fmt.format(low.open) : "–");
  set("low-sub", low.available ? (low.items[0] ? `newest: ${low.items[0].sku}` : "") : "replenishment not installed");
  level("#tile-low", low.open ? "warn" : low.available ? "ok" : "");

  const t = k.trends;
  set("moves-hour", fmt.format(t.movements.at(-1) ?? 0));
  set("updated", `updated ${new Date(k.at).toLocaleTimeString()}`);

  fillList("cutoffs", p.cutoffs, (c) => el("tr", { className: c.late ? "late" : "" },
    el("td", {}, time(c.cutoff_at) + (c.late ? " (late)" : "")), el("td", {}, fmt.format(c.orders)),
    el("td", {}, `${fmt.format(c.lines_done)} / ${fmt.format(c.lines_due)}`),
    el("td", {}, el("div", { className: "meter" }, Object.assign(el("span"), { style: `width:${c.lines_due ? 100 * c.lines_done / c.lines_due : 0}%` })))));
  fillList("exceptions", kinds, ([kind, n]) => el("li", {}, `${kind.replaceAll("_", " ")}: ${fmt.format(n)}`));
  fillList("low", low.items || [], (a) => el("tr", {}, el("td", {}, a.sku), el("td", {}, a.description || ""),
    el("td", {}, fmt.format(a.available)), el("td", {}, fmt.format(a.reorder_point))));
}
