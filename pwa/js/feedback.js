// Scan feedback a person notices with gloves on and without looking: a beep
// (Web Audio, no sound files to fetch), a vibration and a full-screen colour
// flash. All three start in the same tick as the scan is judged, well inside
// 50 ms; nothing here waits on the network.

const TONES = {
  ok: { freq: 1760, ms: 90, buzz: [40] },
  warn: { freq: 880, ms: 160, buzz: [60, 40, 60] },
  error: { freq: 220, ms: 350, buzz: [200, 80, 200] },
};

let audio = null;
let options = { sound: true, vibration: true };

/** Device settings: sound and vibration may each be turned off (a quiet ward, a phone in a holster). */
export function configure({ sound = true, vibration = true } = {}) {
  options = { sound, vibration };
}

/** Browsers only let audio start after a gesture; call this from one (any tap). */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null; // no Web Audio: vibration and colour still work
  }
}

function beep(freq, ms) {
  if (!audio || audio.state !== "running") return;
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = "square";
  osc.frequency.value = freq;
  gain.gain.value = 0.2;
  osc.connect(gain).connect(audio.destination);
  const t = audio.currentTime;
  osc.start(t);
  osc.stop(t + ms / 1000);
}

/**
 * Signal `kind` ("ok", "warn", "error") with an optional message. Returns the
 * time (performance.now()) the colour went up, for the latency benchmark.
 */
export function signal(kind, message = "") {
  const tone = TONES[kind] ?? TONES.error;
  const flash = document.getElementById("flash");
  if (flash) {
    flash.className = `flash flash-${kind}`;
    flash.dataset.at = String(performance.now());
    flash.textContent = message;
    clearTimeout(signal.timer);
    signal.timer = setTimeout(() => { flash.className = "flash"; flash.textContent = ""; }, kind === "ok" ? 350 : 1200);
  }
  if (options.sound) beep(tone.freq, tone.ms);
  if (options.vibration) navigator.vibrate?.(tone.buzz);
  return performance.now();
}
