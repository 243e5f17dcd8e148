// Tiny DOM helpers: screens build their markup with h() so text is always
// text (no innerHTML with scanned data in it).
import { Offline } from "./outbox.js";

/** h("button", {class: "big", onclick}, "Label", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value == null) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message at the bottom of the screen, read out by screen readers. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  box.className = `toast toast-${kind} show`;
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = "toast"; }, 4000);
}

/** Quantity as people read it: 12, 2.5 (never 12.0). */
export function qty(n) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

/** A typed-entry form: the last resort when a label will not scan. */
export function scanField({ label, onSubmit, inputmode = "text", id = "scan-input" }) {
  const input = h("input", { id, type: "text", inputmode, autocomplete: "off", autocapitalize: "characters",
    spellcheck: "false", "aria-label": label, placeholder: label, enterkeyhint: "go" });
  const form = h("form", { class: "scan-field", onsubmit: (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    input.value = "";
    onSubmit(value);
  } }, input, h("button", { type: "submit", class: "btn", "aria-label": `${label}: enter` }, "Enter"));
  return { form, input };
}

/** A status line under the prompt; say(kind, text) also beeps and flashes. */
export function noteBox(app, id) {
  const note = h("p", { class: "message", id, role: "status" });
  const say = (kind, text) => {
    app.signal(kind, kind === "ok" ? "" : text);
    note.dataset.kind = kind;
    note.textContent = text;
  };
  return { note, say };
}

/** A big −/number/+ row; get() reads it, set(n) writes it. */
export function stepper({ id, label, min = 0, value = 1, onChange = () => {} }) {
  const input = h("input", { id, type: "number", inputmode: "decimal", min: String(min), step: "any",
    "aria-label": label, value: String(value), oninput: () => onChange(get()) });
  const get = () => Number(input.value) || 0;
  const set = (n) => { input.value = String(n); onChange(get()); };
  const row = h("div", { class: "qty-row" },
    h("button", { type: "button", class: "btn btn-square", "aria-label": `${label}: one less`,
      onclick: () => set(Math.max(min, get() - 1)) }, "−"),
    input,
    h("button", { type: "button", class: "btn btn-square", "aria-label": `${label}: one more`,
      onclick: () => set(get() + 1) }, "+"));
  return { row, input, get, set };
}

/** Fetch with a cached copy for offline: [value, fromCache]. */
export async function cachedGet(app, key, fetcher) {
  try {
    const value = await fetcher();
    await app.store.cachePut?.(key, value);
    return [value, false];
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    return [(await app.store.cacheGet?.(key)) ?? null, true];
  }
}
