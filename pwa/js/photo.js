// Scan from a photo: the phone's own camera app takes the picture (an
// <input type=file capture>, which works without HTTPS and on every phone),
// the edge reads every barcode in it (POST /api/v1/decode, docs/decoding.md),
// and each code found is handed on exactly like a scan from the wedge or the
// live camera. Needs the edge: offline, it says so.
import { ApiError, Offline } from "./api.js";
import { h } from "./ui.js";

const MAX_SIDE = 2000; // the edge analyses photos at most this big; sending more only costs upload time

/** A "Scan from photo" button with its hidden file input and a message line. */
export function photoControl(app, onScan) {
  const message = h("p", { class: "message", id: "photo-message", "aria-live": "polite", hidden: true });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: "photo-input",
    hidden: true, "aria-label": "Photo of a barcode" });
  const button = h("button", { type: "button", class: "btn btn-wide", id: "photo-button",
    onclick: () => input.click() }, "Scan from photo");
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    input.value = ""; // the same photo may be chosen again
    if (!file) return;
    say(message, "info", "Reading the photo…");
    button.disabled = true;
    try {
      const { codes } = await decodePhoto(app.api, file);
      say(message, "ok", codes.length === 1 ? "1 code found in the photo" : `${codes.length} codes found in the photo`);
      for (const code of codes) onScan(asScan(code));
    } catch (error) {
      app.signal("error");
      say(message, "error", describePhotoError(error));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "photo-scan" }, button, input, message);
}

/** What the rest of the app expects from a scanner: the AIM prefix keeps GS1 data GS1. */
export function asScan(code) {
  const aim = code.aim ?? null;
  return { raw: (aim ?? "") + code.text, data: code.text, aim, symbology: code.symbology, source: "photo" };
}

export async function decodePhoto(api, file) {
  const body = await shrink(file);
  const headers = { Accept: "application/json, application/problem+json", "Content-Type": body.type || "image/jpeg" };
  if (api.token) headers.Authorization = `Bearer ${api.token}`;
  let response;
  try {
    response = await api.fetchImpl(`${api.base}/decode`, { method: "POST", headers, body, cache: "no-store",
      signal: AbortSignal.timeout(30000) });
  } catch {
    throw new Offline("the edge cannot be reached; photos are read by the edge");
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  if (response.status === 401) api.onSignedOut?.(data);
  throw new ApiError(data && typeof data === "object" ? data : { status: response.status, detail: `HTTP ${response.status}` });
}

/** A big phone photo, scaled down to MAX_SIDE as JPEG; anything the browser cannot draw goes as it is. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && /^image\/(jpeg|png)$/.test(file.type)) return file;
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
  } catch {
    return file;
  }
}

function describePhotoError(error) {
  if (error instanceof Offline) return "Offline: photos are read by the edge; scan the label instead";
  if (error instanceof ApiError) return error.problem.title ? `${error.problem.title}: ${error.problem.detail}` : error.message;
  return String(error?.message ?? error);
}

function say(el, kind, text) {
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
}
