// Device settings: how the wedge scanner is told from typing (timing, suffix,
// GS substitute), the idle sign-out, sound and vibration. They belong to the
// device, not the person, so they live in localStorage (readable at start-up,
// offline) and apply at once when saved.
import { DEFAULT_SETTINGS, LIMITS, normalizeSettings } from "../session.js";
import { DEFAULTS as WEDGE } from "../wedge.js";
import { fill, h, noteBox } from "../ui.js";

export function mount(app, root) {
  const s = app.settings;
  const { note, say } = noteBox(app, "settings-note");
  const field = (id, label, value, hint, type = "number") => {
    const input = h("input", { id, type, inputmode: type === "number" ? "numeric" : "text", "aria-label": label,
      value: value ?? "", placeholder: hint, autocomplete: "off" });
    return [h("label", { for: id, class: "field-label" }, label, h("span", { class: "muted small" }, ` ${hint}`)), input,
      h("p", { class: "field-error", id: `${id}-error`, role: "alert" })];
  };
  const toggle = (id, label, on) => h("button", { type: "button", class: "btn btn-quiet toggle", id, "aria-pressed": String(on),
    onclick: (e) => e.currentTarget.setAttribute("aria-pressed", String(e.currentTarget.getAttribute("aria-pressed") !== "true")) }, label);
  const suffixes = s.wedge?.suffixes ?? WEDGE.suffixes;
  const [lo, hi] = LIMITS.idleMinutes;
  const form = h("form", { id: "settings-form", onsubmit: (event) => { event.preventDefault(); save(); } },
    h("h2", { class: "small" }, "Scanner (keyboard wedge)"),
    ...field("set-avg", "Average gap between a scan's keys (ms)", s.wedge?.avgGapMs, `default ${WEDGE.avgGapMs}`),
    ...field("set-max", "Longest pause inside a scan (ms)", s.wedge?.maxGapMs, `default ${WEDGE.maxGapMs}`),
    ...field("set-min", "Shortest barcode (characters)", s.wedge?.minLength, `default ${WEDGE.minLength}`),
    h("p", { class: "field-label" }, "The scanner ends each code with"),
    h("div", { class: "row", id: "set-suffixes" }, toggle("set-enter", "Enter", suffixes.includes("Enter")),
      toggle("set-tab", "Tab", suffixes.includes("Tab"))),
    h("p", { class: "field-error", id: "set-suffix-error", role: "alert" }),
    ...field("set-gs", "GS substitute the scanner sends", s.gsSubstitute, "empty: real GS (Ctrl+])", "text"),
    h("h2", { class: "small" }, "This device"),
    ...field("set-idle", "Sign out after idle (minutes)", s.idleMinutes, `${lo} = never, up to ${hi}`),
    h("div", { class: "row" }, toggle("set-sound", "Sound", s.sound !== false), toggle("set-vibration", "Vibration", s.vibration !== false)),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "btn", id: "settings-save" }, "Save"),
      h("button", { type: "button", class: "btn btn-quiet", id: "settings-defaults", onclick: defaults }, "Defaults")));
  fill(root, h("h1", {}, "Settings"), note, form);

  const value = (id) => document.getElementById(id).value.trim();
  const pressed = (id) => document.getElementById(id).getAttribute("aria-pressed") === "true";

  function save() {
    const input = {
      wedge: { avgGapMs: value("set-avg"), maxGapMs: value("set-max"), minLength: value("set-min"),
        suffixes: [pressed("set-enter") && "Enter", pressed("set-tab") && "Tab"].filter(Boolean) },
      gsSubstitute: document.getElementById("set-gs").value, idleMinutes: value("set-idle"),
      sound: pressed("set-sound"), vibration: pressed("set-vibration"),
    };
    if (s.dockBin) input.dockBin = s.dockBin;
    const { settings, errors } = normalizeSettings(input);
    const ids = { avgGapMs: "set-avg", maxGapMs: "set-max", minLength: "set-min", gsSubstitute: "set-gs",
      idleMinutes: "set-idle", suffixes: "set-suffix" };
    for (const [name, id] of Object.entries(ids)) {
      document.getElementById(`${id}-error`).textContent = errors[name] ?? "";
      document.getElementById(id === "set-suffix" ? "set-suffixes" : id)?.setAttribute("aria-invalid", String(Boolean(errors[name])));
    }
    if (Object.keys(errors).length) return say("error", Object.values(errors)[0]);
    app.applySettings(settings);
    return say("ok", "Saved: in use now");
  }

  function defaults() {
    app.applySettings({ ...DEFAULT_SETTINGS, wedge: {} });
    app.go("home");
    app.go("settings");
  }
  return {};
}
