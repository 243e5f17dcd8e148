// Who is signed in on this device, its stable id, and device settings
// (wedge timing, suffix, GS substitute, idle timeout). localStorage: small,
// synchronous at start-up, and survives a reload while offline.
import { uuid4 } from "./outbox.js";

const KEY = "floorscan.session";
const DEVICE = "floorscan.device";
const SETTINGS = "floorscan.settings";

// wedge: overrides of wedge.js DEFAULTS ({avgGapMs, maxGapMs, minLength,
// suffixes}) for an unusual scanner; empty means the defaults.
export const DEFAULT_SETTINGS = Object.freeze({
  wedge: {},
  gsSubstitute: "",
  idleMinutes: 30,
  sound: true,
  vibration: true,
});

// Limits the settings screen enforces, so a slip of a gloved thumb cannot make
// the wedge deaf (an average gap of 0 ms) or sign people out every second.
export const LIMITS = Object.freeze({
  avgGapMs: [5, 100], maxGapMs: [30, 1000], minLength: [1, 20], idleMinutes: [0, 720],
});
const SUFFIXES = ["Enter", "Tab"];

/**
 * Check settings typed on the settings screen. Returns {settings, errors}:
 * settings is complete (defaults filled in) when errors is empty; errors maps
 * a field name to what a person should fix.
 */
export function normalizeSettings(input) {
  const errors = {};
  const out = { ...DEFAULT_SETTINGS, wedge: {} };
  const number = (name, value, target, key = name) => {
    if (value === "" || value == null) return;
    const n = Number(value);
    const [lo, hi] = LIMITS[name];
    if (!Number.isInteger(n) || n < lo || n > hi) errors[name] = `${name} must be a whole number from ${lo} to ${hi}`;
    else target[key] = n;
  };
  const wedge = input.wedge ?? {};
  number("avgGapMs", wedge.avgGapMs, out.wedge);
  number("maxGapMs", wedge.maxGapMs, out.wedge);
  number("minLength", wedge.minLength, out.wedge);
  if (out.wedge.avgGapMs && out.wedge.maxGapMs && out.wedge.avgGapMs > out.wedge.maxGapMs) {
    errors.maxGapMs = "the longest pause must be at least the average gap";
  }
  if (wedge.suffixes != null) {
    const suffixes = [...new Set(wedge.suffixes)].filter((s) => SUFFIXES.includes(s));
    if (!suffixes.length || suffixes.length !== wedge.suffixes.length) errors.suffixes = "choose Enter, Tab or both";
    else out.wedge.suffixes = suffixes;
  }
  const gs = input.gsSubstitute ?? "";
  if (typeof gs !== "string" || gs.length > 4 || /[0-9A-Za-z()\s]/.test(gs)) {
    errors.gsSubstitute = "a GS substitute is up to 4 characters that never occur in barcode data (e.g. ~ or |), or empty";
  } else out.gsSubstitute = gs;
  out.idleMinutes = DEFAULT_SETTINGS.idleMinutes;
  number("idleMinutes", input.idleMinutes, out);
  out.sound = input.sound !== false;
  out.vibration = input.vibration !== false;
  if (input.dockBin) out.dockBin = String(input.dockBin);
  return { settings: out, errors };
}

export function load() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY));
    if (!session?.token || !session.user) return null;
    if (session.expires_at && Date.parse(session.expires_at) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function save(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clear() {
  localStorage.removeItem(KEY);
}

export function deviceId() {
  let id = localStorage.getItem(DEVICE);
  if (!id) {
    id = `pwa-${uuid4().slice(0, 8)}`;
    localStorage.setItem(DEVICE, id);
  }
  return id;
}

export function settings() {
  try {
    return { ...DEFAULT_SETTINGS, ...JSON.parse(localStorage.getItem(SETTINGS) || "{}") };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(changes) {
  localStorage.setItem(SETTINGS, JSON.stringify({ ...settings(), ...changes }));
}

/** Replace the settings with checked ones (normalizeSettings first). */
export function replaceSettings(all) {
  localStorage.setItem(SETTINGS, JSON.stringify(all));
}
