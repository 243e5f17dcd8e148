// Keyboard-wedge scanners "type" a barcode: a burst of keystrokes a few ms
// apart (USB) to a few tens of ms (Bluetooth), ended by Enter or Tab. People
// type 80-300 ms apart. One global key
// buffer tells the two apart by the time between keys, so a scan lands in
// the app wherever the focus is, and typing in a field still works.
//
// WedgeParser is pure (fed keys and times; unit-tested in node). attachWedge
// wires it to the document's keydown events.

export const GS = "\x1d";
const AIM = /^\][A-Za-z][0-9A-Za-z]/;

export const DEFAULTS = Object.freeze({
  avgGapMs: 30,        // a scan's keys average at most this apart (people: 100-300 ms)
  maxGapMs: 150,       // a longer pause starts over: what came before was typing
  minLength: 3,        // shorter bursts are keyboard chatter, not barcodes
  suffixes: ["Enter", "Tab"],
  gsSubstitute: "",    // what the scanner profile sends instead of GS, e.g. "~"
});

/** What a scanner sent, split into the AIM identifier and the data. */
export function splitScan(text) {
  const aim = AIM.test(text) ? text.slice(0, 3) : null;
  return { raw: text, aim, data: aim ? text.slice(3) : text };
}

export class WedgeParser {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.reset();
  }

  reset() {
    this.chars = [];
    this.first = 0;
    this.last = -Infinity;
  }

  /**
   * Feed one keydown: key is KeyboardEvent.key, ctrl whether Control was
   * held, t the event time in ms. Returns
   *   {action: "scan", scan}  the suffix of a scan: swallow this key, handle the scan
   *   {action: "pass"}        anything else: let the browser have it
   *
   * The decision is made at the suffix, from the average time between the
   * burst's characters, so one slow key (a Bluetooth hiccup, a busy phone)
   * does not split a scan, and a fast typist never averages scanner speed
   * over a whole code. The suffix itself only has to come within maxGapMs.
   */
  key(key, t, { ctrl = false } = {}) {
    if (key === "Shift" || key === "Control" || key === "Alt" || key === "AltGraph" || key === "Meta" ||
        key === "CapsLock") {
      return { action: "pass" }; // modifiers come and go inside a burst
    }
    const gap = t - this.last;
    if (this.options.suffixes.includes(key)) {
      const burst = this.isBurst(t, gap);
      const text = this.chars.join("");
      this.reset();
      if (!burst) return { action: "pass" };
      return { action: "scan", scan: { ...splitScan(text), suffix: key, gsSubstitute: this.options.gsSubstitute } };
    }
    const char = this.charOf(key, ctrl);
    if (char === null) {
      this.reset();
      return { action: "pass" };
    }
    if (gap > this.options.maxGapMs) {
      this.reset();
      this.first = t;
    }
    this.chars.push(char);
    this.last = t;
    return { action: "pass" };
  }

  isBurst(t, gap) {
    const n = this.chars.length;
    return n >= this.options.minLength && gap <= this.options.maxGapMs &&
      (this.last - this.first) / (n - 1) <= this.options.avgGapMs;
  }

  /** The character a key stands for, GS for Ctrl+] (ASCII 29), null for other keys. */
  charOf(key, ctrl) {
    if (key === GS || (ctrl && (key === "]" || key === "5"))) return GS;
    if (ctrl) return null;
    return key.length === 1 ? key : null;
  }
}

/**
 * Listen for scans on `target` (the document). onScan({raw, aim, data, suffix,
 * gsSubstitute, t, received}) is called for each. Keys reach the page as usual (nothing
 * typed by a person is ever eaten); when a burst turns out to be a scan, its
 * suffix is swallowed (no form submit, no focus jump) and the text field it
 * landed in gets back the value it had before the burst (a quantity field
 * keeps its quantity).
 * Returns a function that detaches the listener.
 */
export function attachWedge(target, onScan, options = {}) {
  const parser = new WedgeParser(options);
  let before = null; // {field, value} as the current burst began
  const listener = (event) => {
    if (event.isComposing) return;
    const field = editable(event.target) ? event.target : null;
    const value = field?.value;
    const { action, scan } = parser.key(event.key, event.timeStamp, { ctrl: event.ctrlKey });
    if (parser.chars.length === 1) before = { field, value }; // keydown comes before the text lands
    if (action !== "scan") return;
    event.preventDefault();
    event.stopPropagation();
    if (before?.field && before.field.value !== before.value) {
      before.field.value = before.value;
      before.field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    before = null;
    // t: when the suffix key was pressed; received: when the page got to it.
    onScan({ ...scan, t: event.timeStamp, received: performance.now() });
  };
  target.addEventListener("keydown", listener, true);
  return Object.assign(() => target.removeEventListener("keydown", listener, true), { parser });
}

function editable(node) {
  return node && (node.tagName === "INPUT" || node.tagName === "TEXTAREA") && typeof node.value === "string";
}
