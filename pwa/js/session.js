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
});

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
