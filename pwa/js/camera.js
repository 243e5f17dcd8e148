// Camera scanning: the browser's own BarcodeDetector where it has one, else
// the vendored ponyfill (ZXing-C++ compiled to WebAssembly). The ponyfill
// would fetch its .wasm from a CDN; it is pointed at the copy in
// pwa/vendor/zxing-wasm/ instead, which the service worker precaches.

export const FORMATS = ["code_128", "ean_13", "ean_8", "upc_a", "upc_e", "itf", "qr_code", "data_matrix"];
export const WASM_URL = new URL("../vendor/zxing-wasm/zxing_reader.wasm", import.meta.url).href;
const REPEAT_MS = 1500; // the same code again within this is the same label still in view

let ponyfill = null;

/** The ponyfill's BarcodeDetector class, loading the local .wasm (never a CDN). */
export async function ponyfillDetector() {
  if (!ponyfill) {
    ponyfill = import("../vendor/barcode-detector/ponyfill.js").then((mod) => {
      mod.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM_URL : prefix + path) },
      });
      return mod.BarcodeDetector;
    });
  }
  return ponyfill;
}

/** A detector for FORMATS: native when it supports them all, else the ponyfill. */
export async function detector({ preferNative = true } = {}) {
  if (preferNative && "BarcodeDetector" in globalThis) {
    try {
      const supported = await globalThis.BarcodeDetector.getSupportedFormats();
      if (FORMATS.every((f) => supported.includes(f))) return new globalThis.BarcodeDetector({ formats: FORMATS });
    } catch {
      // fall through to the ponyfill
    }
  }
  const Detector = await ponyfillDetector();
  return new Detector({ formats: FORMATS });
}

/**
 * Show a viewfinder in `box` and call onScan({raw, data, aim: null, symbology})
 * for every new code seen. Returns {stop()}.
 */
export async function openCamera(box, onScan) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("this browser has no camera access (it needs HTTPS)");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  const video = document.createElement("video");
  Object.assign(video, { srcObject: stream, muted: true, playsInline: true });
  video.setAttribute("aria-label", "Camera viewfinder");
  const frame = document.createElement("div");
  frame.className = "viewfinder";
  frame.append(video);
  const [track] = stream.getVideoTracks();
  const torch = torchButton(track);
  box.replaceChildren(frame, ...(torch ? [torch] : []));
  await video.play();
  const reader = await detector();
  const seen = new Map();
  let running = true;

  const tick = async () => {
    if (!running) return;
    try {
      const codes = video.readyState >= 2 ? await reader.detect(video) : [];
      const now = performance.now();
      for (const { rawValue, format } of codes) {
        if (now - (seen.get(rawValue) ?? -Infinity) > REPEAT_MS) {
          onScan({ raw: rawValue, data: rawValue, aim: null, symbology: format, t: now, received: performance.now() });
        }
        seen.set(rawValue, now);
      }
    } catch (error) {
      console.error("barcode detection failed", error);
    }
    if (running) setTimeout(tick, 80);
  };
  tick();
  return {
    stop() {
      running = false;
      for (const t of stream.getTracks()) t.stop();
      box.replaceChildren();
    },
  };
}

function torchButton(track) {
  const caps = track.getCapabilities?.() ?? {};
  if (!caps.torch) return null;
  let on = false;
  const button = document.createElement("button");
  Object.assign(button, { type: "button", className: "btn", textContent: "Torch" });
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", async () => {
    on = !on;
    await track.applyConstraints({ advanced: [{ torch: on }] });
    button.setAttribute("aria-pressed", String(on));
  });
  return button;
}
