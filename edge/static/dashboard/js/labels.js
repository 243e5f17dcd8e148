// Label print preview: the edge renders each label as SVG exactly as laid out
// for the printer (GET /api/v1/labels/<kind>/preview); ZPL and PDF download
// from the same options; "Print preview" prints only the labels (see @media print).
import { ApiError, download, request } from "./api.js";

const $ = (id) => document.getElementById(id);
const MAX_PREVIEWS = 12;

function query(form) {
  const f = new FormData(form);
  const kind = f.get("kind");
  const codes = String(f.get("codes") || "").split(/[\s,]+/).filter(Boolean).join(",");
  const q = { size: f.get("size") };
  if (kind === "bins") Object.assign(q, codes ? { codes } : { zone: f.get("zone") }, f.get("qr") ? { qr: "true" } : {});
  else Object.assign(q, { skus: codes }, kind === "items-case" ? { case: "true" } : {});
  return { path: kind === "bins" ? "bins" : "items", q };
}

const qs = (q) => new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();

async function preview(form) {
  const { path, q } = query(form);
  $("label-error").textContent = "";
  const box = $("label-preview");
  box.replaceChildren();
  try {
    const first = await request("GET", `/api/v1/labels/${path}/preview?${qs({ ...q, index: 0 })}`);
    const count = Number(first.headers.get("X-Label-Count") || 1);
    const blobs = [await first.blob()];
    for (let i = 1; i < Math.min(count, MAX_PREVIEWS); i++) {
      blobs.push(await (await request("GET", `/api/v1/labels/${path}/preview?${qs({ ...q, index: i })}`)).blob());
    }
    box.replaceChildren(...blobs.map((b, i) => Object.assign(document.createElement("img"), { src: URL.createObjectURL(b), alt: `label ${i + 1}` })));
    if (count > MAX_PREVIEWS) $("label-error").textContent = `showing ${MAX_PREVIEWS} of ${count} labels`;
  } catch (error) {
    $("label-error").textContent = error instanceof ApiError ? error.message : String(error);
  }
}

export function initLabels() {
  const form = $("label-form");
  form.addEventListener("submit", (e) => { e.preventDefault(); preview(form); });
  for (const [id, format] of [["label-zpl", "zpl"], ["label-pdf", "pdf"]]) {
    $(id).addEventListener("click", () => {
      const { path, q } = query(form);
      download(`/api/v1/labels/${path}?${qs({ ...q, format })}`, `${path}-labels.${format}`)
        .catch((e) => { $("label-error").textContent = e.message; });
    });
  }
  $("label-print").addEventListener("click", async () => {
    if (!$("label-preview").children.length) await preview(form);
    window.print();
  });
}
