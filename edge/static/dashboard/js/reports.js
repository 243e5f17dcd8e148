// Drill-down to the report tables of GET /api/v1/reports/<name>. A report can
// hold 100k rows, so the table is virtual: only the rows in view are in the
// DOM (about 20), and scrolling swaps their contents.
import { ApiError, download, getJSON } from "./api.js";

const ROW_HEIGHT = 28;
const MAX_ROWS = 200000;
const $ = (id) => document.getElementById(id);

let all = [];
let shown = [];
let columns = [];
let sort = null;
let current = null;

function cell(value) {
  const div = document.createElement("div");
  div.className = "cell";
  div.textContent = value == null ? "" : typeof value === "number" ? value.toLocaleString() : String(value);
  div.title = div.textContent;
  return div;
}

function draw() {
  const box = $("report-table");
  const first = Math.max(0, Math.floor(box.scrollTop / ROW_HEIGHT) - 5);
  const count = Math.ceil(box.clientHeight / ROW_HEIGHT) + 10;
  const body = box.querySelector(".body");
  const rows = shown.slice(first, first + count).map((r) => {
    const row = document.createElement("div");
    row.className = "row";
    row.append(...columns.map((c) => cell(r[c])));
    return row;
  });
  body.style.paddingTop = `${first * ROW_HEIGHT}px`;
  body.style.height = `${shown.length * ROW_HEIGHT}px`;
  body.replaceChildren(...rows);
}

function build() {
  const box = $("report-table");
  const head = document.createElement("div");
  head.className = "head";
  head.append(...columns.map((c) => {
    const h = cell(c + (sort?.column === c ? (sort.dir > 0 ? " ▲" : " ▼") : ""));
    h.setAttribute("role", "columnheader");
    h.addEventListener("click", () => {
      sort = { column: c, dir: sort?.column === c ? -sort.dir : 1 };
      apply();
    });
    return h;
  }));
  const body = document.createElement("div");
  body.className = "body";
  body.style.boxSizing = "border-box";
  box.replaceChildren(head, body);
  draw();
}

function apply() {
  const needle = $("report-filter").value.trim().toLowerCase();
  shown = needle ? all.filter((r) => columns.some((c) => String(r[c] ?? "").toLowerCase().includes(needle))) : all.slice();
  if (sort) {
    const { column, dir } = sort;
    shown.sort((a, b) => (a[column] > b[column] ? dir : a[column] < b[column] ? -dir : 0));
  }
  $("report-count").textContent = `${shown.length.toLocaleString()} of ${all.length.toLocaleString()} rows`;
  build();
}

async function open(name) {
  current = name;
  $("report-count").textContent = "loading…";
  try {
    const answer = await getJSON(`/api/v1/reports/${encodeURIComponent(name)}`, { limit: MAX_ROWS });
    if (current !== name) return;
    all = answer.rows || answer.items || [];
    columns = all.length ? Object.keys(all[0]) : [];
    sort = null;
    apply();
    $("report-count").textContent += answer.as_of ? ` · as of ${answer.as_of}` : "";
  } catch (error) {
    all = []; columns = []; build();
    $("report-count").textContent = error instanceof ApiError ? error.message : "the edge cannot be reached";
  }
}

export async function initReports() {
  const select = $("report-name");
  let list;
  try {
    list = (await getJSON("/api/v1/reports")).items;
  } catch (error) {
    $("report-count").textContent = error.status === 404 ? "Reports are not installed on this edge." : error.message;
    select.disabled = $("report-csv").disabled = true;
    return;
  }
  // Nothing loads until asked: a stock report of a big site is real work for the edge.
  const placeholder = Object.assign(document.createElement("option"), { value: "", textContent: "choose…" });
  select.replaceChildren(placeholder, ...list.map((r) => Object.assign(document.createElement("option"), { value: r.name, textContent: r.name, title: r.summary || "" })));
  $("report-csv").disabled = true;
  select.addEventListener("change", () => {
    $("report-csv").disabled = !select.value;
    if (select.value) open(select.value);
  });
  $("report-filter").addEventListener("input", apply);
  $("report-table").addEventListener("scroll", () => requestAnimationFrame(draw), { passive: true });
  $("report-csv").addEventListener("click", () => download(`/api/v1/reports/${encodeURIComponent(select.value)}?format=csv`, `${select.value}.csv`)
    .catch((e) => { $("report-count").textContent = e.message; }));
  const wanted = list.find((r) => r.name === new URLSearchParams(location.hash.slice(1)).get("reports"));
  if (wanted) {
    select.value = wanted.name;
    $("report-csv").disabled = false;
    await open(wanted.name);
  } else {
    $("report-count").textContent = `${list.length} reports`;
  }
  window.addEventListener("hashchange", () => {
    const name = new URLSearchParams(location.hash.slice(1)).get("reports");
    if (name && list.some((r) => r.name === name)) {
      select.value = name;
      $("report-csv").disabled = false;
      open(name);
      $("reports").scrollIntoView();
    }
  });
}
