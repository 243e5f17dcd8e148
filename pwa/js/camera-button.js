// A "Scan with camera" toggle for any scanning screen: the viewfinder opens
// under it and each code it sees goes through app.onScan, exactly like a
// wedge scan. The screen calls stop() when it unmounts (the camera light goes off).
import { describe } from "./api.js";
import { openCamera } from "./camera.js";
import { fill, h } from "./ui.js";

export function cameraToggle(app, { id = "camera-toggle" } = {}) {
  const box = h("div", { class: "camera", id: `${id}-box` });
  let camera = null;
  const label = (on) => (on ? "Stop camera" : "Scan with camera");
  const button = h("button", { type: "button", class: "btn btn-wide btn-quiet", id, "aria-pressed": "false",
    onclick: async () => {
      if (camera) return stop();
      try {
        camera = await openCamera(box, (scan) => app.onScan(scan));
        button.setAttribute("aria-pressed", "true");
        button.textContent = label(true);
      } catch (error) {
        fill(box, h("p", { class: "message", "data-kind": "error" }, `Camera: ${describe(error)}`));
      }
      return undefined;
    } }, label(false));
  function stop() {
    camera?.stop();
    camera = null;
    button.setAttribute("aria-pressed", "false");
    button.textContent = label(false);
  }
  return { button, box, stop };
}
