// Sign in with a PIN on a big keypad, or by scanning a badge with the wedge scanner.
import { ApiError, describe } from "../api.js";
import * as session from "../session.js";
import { fill, h } from "../ui.js";

const MAX_PIN = 12;

export function mount(app, root) {
  let pin = "";
  let busy = false;
  const dots = h("output", { class: "pin-dots", id: "pin-dots", "aria-live": "polite", "aria-label": "PIN digits entered" });
  const message = h("p", { class: "message", id: "signin-message", role: "alert" });

  const show = () => {
    dots.textContent = pin ? "●".repeat(pin.length) : "Enter your PIN or scan your badge";
    dots.dataset.count = String(pin.length);
  };

  const submit = async (credentials) => {
    if (busy) return;
    busy = true;
    fill(message, "Signing in…");
    message.dataset.kind = "info";
    try {
      const answer = await app.api.signIn({ ...credentials, deviceId: session.deviceId() });
      app.signal("ok");
      app.signedIn(answer);
      app.go("home");
    } catch (error) {
      app.signal("error");
      message.dataset.kind = "error";
      fill(message, error instanceof ApiError ? describe(error)
        : "Cannot reach the edge to sign in. Move to where the Wi-Fi works and try again.");
      pin = "";
      show();
    } finally {
      busy = false;
    }
  };

  const press = (digit) => {
    if (pin.length < MAX_PIN) pin += digit;
    show();
  };
  const key = (label, name, onclick, cls = "key") => h("button", { type: "button", class: cls, "aria-label": name, onclick }, label);
  const pad = h("div", { class: "pinpad", role: "group", "aria-label": "PIN pad" },
    ..."123456789".split("").map((d) => key(d, `Digit ${d}`, () => press(d))),
    key("⌫", "Delete last digit", () => { pin = pin.slice(0, -1); show(); }, "key key-alt"),
    key("0", "Digit 0", () => press("0")),
    key("OK", "Sign in", () => pin && submit({ pin }), "key key-go"));

  const onKey = (event) => {
    if (/^[0-9]$/.test(event.key)) press(event.key);
    else if (event.key === "Backspace") { pin = pin.slice(0, -1); show(); }
    else if (event.key === "Enter" && pin) submit({ pin });
    else return;
    event.preventDefault();
  };
  document.addEventListener("keydown", onKey);

  fill(root, h("section", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"), dots, pad, message));
  show();

  return {
    onScan(scan) {
      pin = "";
      show();
      submit({ badge: scan.data });
    },
    unmount() {
      document.removeEventListener("keydown", onKey);
    },
  };
}
