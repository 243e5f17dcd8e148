// Putaway: the next task with its suggested bin and the reason in big type.
// Scanning that bin confirms (putaway.confirm through the outbox); another
// bin asks why first, and the reason goes with the command. New tasks from a
// closed receipt arrive live (putaway.tasks) and the list re-reads itself.
import { describe } from "../api.js";
import { judgeBin, withPending } from "../putaway.js";
import { cameraToggle } from "../camera-button.js";
import { cachedGet, fill, h, noteBox, qty as fmt, scanField } from "../ui.js";

const REASONS = ["Suggested bin is full", "Suggested bin is blocked", "Damaged: quarantine", "Closer to the pick face"];

export function mount(app, root) {
  let tasks = [];       // the edge's open tasks (or the cached copy)
  let view = [];        // minus this device's unsent confirmations
  let skipped = new Set();
  let asking = null;    // bin code waiting for a reason
  const prompt = h("p", { class: "prompt", id: "putaway-prompt", "aria-live": "assertive" });
  const big = h("div", { class: "pick-bin", id: "putaway-bin", "aria-label": "Suggested bin" });
  const why = h("p", { class: "reason-big", id: "putaway-reason" });
  const detail = h("div", { class: "pick-detail", id: "putaway-detail" });
  const { note, say } = noteBox(app, "putaway-note");
  const ask = h("div", { id: "putaway-ask" });
  const left = h("p", { class: "muted", id: "putaway-left" });
  const actions = h("div", { class: "row", id: "putaway-actions" });
  const { form } = scanField({ label: "Type a bin code", onSubmit: (code) => handle({ raw: code }) });
  const camera = cameraToggle(app);
  fill(root, h("h1", {}, "Put away"), prompt, big, why, detail, ask, note, form, camera.button, camera.box, actions, left);
  load();

  async function load() {
    try {
      const [page] = await cachedGet(app, "putaway:tasks", () => app.api.get("/putaway/tasks", { status: "open", limit: 200 }));
      tasks = page?.items ?? [];
    } catch (error) {
      say("error", describe(error));
    }
    await recompute();
  }

  async function recompute() {
    view = withPending(tasks, await app.outbox.pending());
    render();
  }

  function current() {
    return view.find((t) => !skipped.has(t.id)) ?? view[0] ?? null;
  }

  function render() {
    const task = current();
    left.textContent = view.length ? `${view.length} task(s) open` : "";
    left.dataset.count = String(view.length);
    if (!task) {
      prompt.textContent = "No putaway task is open";
      prompt.dataset.stage = "none";
      fill(big); fill(why); fill(detail); fill(ask); fill(actions);
      return;
    }
    prompt.dataset.stage = asking ? "reason" : "bin";
    prompt.textContent = asking ? `Why ${asking} instead of ${task.suggested_bin ?? "no suggestion"}?`
      : `Take ${fmt(task.remaining)} × ${task.sku} from ${task.from_bin}, scan the bin you put it in`;
    big.dataset.task = String(task.id);
    fill(big, task.suggested_bin ?? "Any bin with room");
    fill(why, task.reason ?? "");
    fill(detail, h("p", { class: "pick-item" }, `${task.sku} · ${task.description ?? ""}`),
      h("p", {}, h("strong", {}, `${fmt(task.remaining)} ${task.uom ?? ""}`),
        task.lot ? ` · lot ${task.lot}` : "", task.expiry ? ` · exp ${task.expiry}` : "", ` · from ${task.from_bin}`));
    fill(ask, asking ? [h("ul", { class: "tiles", id: "putaway-reasons" }, REASONS.map((r, i) =>
      h("li", {}, h("button", { type: "button", class: "btn btn-wide btn-quiet", id: `putaway-reason-${i}`,
        onclick: () => confirmOther(r) }, r)))),
    scanField({ label: "Another reason", id: "putaway-reason-input", onSubmit: (text) => confirmOther(text) }).form,
    h("button", { type: "button", class: "btn btn-wide btn-quiet", id: "putaway-reason-cancel",
      onclick: () => { asking = null; render(); } }, "Cancel: scan another bin")] : []);
    fill(actions, view.length > 1 ? h("button", { type: "button", class: "btn btn-quiet", id: "putaway-skip",
      onclick: () => { skipped.add(task.id); if (skipped.size >= view.length) skipped = new Set(); asking = null; render(); } },
    "Another task") : null);
  }

  function handle(scan) {
    const task = current();
    const answer = app.interpret(scan.raw, scan.symbology ?? null);
    // Scanning the goods themselves is a check: is this the pallet the task means?
    if (task && answer.sku) {
      if (answer.sku === task.sku) return say("ok", `Right goods: ${task.sku}. Now scan the bin`);
      return say("error", `wrong goods: this task is for ${task.sku}, you scanned ${answer.sku}`);
    }
    const verdict = judgeBin(task, answer);
    if (verdict.error) return say("error", verdict.error);
    if (verdict.needReason) {
      asking = verdict.needReason;
      say("warn", `${asking} is not the suggested bin: say why`);
      render();
      return undefined;
    }
    return confirm(verdict.confirm);
  }

  function confirmOther(reason) {
    const task = current();
    const verdict = judgeBin(task, { kind: "bin", bin: app.catalog.bin(asking) ?? { code: asking, kind: "storage" } }, { reason });
    if (verdict.error) return say("error", verdict.error);
    asking = null;
    return confirm(verdict.confirm);
  }

  async function confirm(payload) {
    const task = current();
    say("ok", `Put away ${fmt(task.remaining)} × ${task.sku} in ${payload.to_bin}`);
    note.textContent = `Put away ${fmt(task.remaining)} × ${task.sku} in ${payload.to_bin}`;
    await app.outbox.add("putaway.confirm", payload);
    await recompute();
  }

  let timer = null;
  const resync = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  };
  return {
    onScan: handle,
    async onOutbox(event) {
      if (event.type !== "result" || event.command.type !== "putaway.confirm") return;
      if (event.result.status === "rejected") say("error", event.result.problem?.detail ?? "refused");
      // Taken by the edge: fold it into our copy now (the command has left the
      // outbox), so the task does not come back until the list is re-read.
      else {
        tasks = withPending(tasks, [event.command]);
        // Kept on the device too: a re-read that finds the edge out of reach falls back to this copy.
        await app.store.cachePut?.("putaway:tasks", { items: tasks });
      }
      await recompute();
      resync();
    },
    onLive(name) {
      if (name === "putaway.tasks") resync();
    },
    unmount() { clearTimeout(timer); camera.stop(); },
  };
}
