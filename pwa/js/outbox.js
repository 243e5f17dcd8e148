// The outbox: every action a person takes becomes a command that is stored on
// the device *before* it is sent, then sent in order until the edge answers.
// The edge applies each command id once, so resending is always safe; what
// must never happen is losing one, or one bad command holding up the rest.
//
// The store is injected: IndexedDB in the browser (db.js), MemoryStore in
// unit tests. A store keeps pending commands in the order they were added
// and a separate "needs attention" list of commands the edge rejected.

/** Thrown by `send` when the edge could not be reached; the batch stays queued. */
export class Offline extends Error {
  constructor(message = "the edge cannot be reached") { super(message); this.name = "Offline"; }
}

/** Thrown by `send` when the token is no longer valid; sending waits for a new sign-in. */
export class SignedOut extends Error {
  constructor(message = "sign in again to send") { super(message); this.name = "SignedOut"; }
}

const BATCH = 100;

/**
 * An answer to the whole request that no resend can change: too large (413,
 * from the edge or a proxy in front of it), or the edge's own problem saying it
 * cannot read it (400, 415, 422 with a problem type; a captive portal's 400
 * page is no such answer, and its commands must wait, not be set aside).
 */
function refusesTheRequest(error) {
  if (error?.status === 413) return true;
  return [400, 415, 422].includes(error?.status) && Boolean(error?.problem?.type);
}

/** 16 bytes as a UUID's text: lower-case hex, 8-4-4-4-12. */
function uuidText(b) {
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A random (version 4) UUID. crypto.randomUUID() exists only in secure
 * contexts, and a handheld may reach the edge over plain HTTP on the LAN;
 * crypto.getRandomValues() works everywhere.
 */
export function uuid4() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return uuidText(b);
}

/**
 * A minter of time-ordered (version 7, RFC 9562) UUIDs for commands: 48 bits
 * of Unix milliseconds, a 12-bit counter, 62 random bits. The edge keeps every
 * command id in two unique indexes; ids that start with the time go to the end
 * of each index instead of a random page, so a commit writes a quarter fewer
 * pages (edge/ids.py, docs/performance.md step 13). Ids from one minter sort in
 * the order they were minted: within a millisecond the counter counts up from a
 * random start, and when it runs out or the clock steps back the timestamp
 * carries on from the last id. `nowMs` is for tests, which make their own minter.
 */
export function makeUuid7() {
  let lastMs = 0;
  let counter = 0;
  return function uuid7(nowMs = Date.now()) {
    const b = crypto.getRandomValues(new Uint8Array(16));
    if (nowMs > lastMs) {
      lastMs = nowMs;
      counter = ((b[6] << 8) | b[7]) & 0x7ff;
    } else if (++counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    let ms = lastMs;
    for (let i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = 0x70 | (counter >> 8);
    b[7] = counter & 0xff;
    b[8] = (b[8] & 0x3f) | 0x80;
    return uuidText(b);
  };
}

/** The page's one minter of command ids. */
export const uuid7 = makeUuid7();

export class Outbox {
  /**
   * store:  MemoryStore-like (see below)
   * send:   async (commands) => [{id, status, problem?, movements?}], one per command, in order;
   *         throws Offline or SignedOut, anything else is a failed attempt
   * online: () => boolean, the browser's idea of the network (navigator.onLine)
   * locks:  a LockManager (navigator.locks): every tab of the app has its own
   *         Outbox over the same IndexedDB, and one sends at a time, so two
   *         tabs never send the same commands (the edge judges a refused
   *         command again, so the second tab could hear "applied" where the
   *         first heard "rejected")
   */
  constructor({ store, send, online = () => true, now = () => new Date(), newId = uuid7,
    locks = globalThis.navigator?.locks ?? null }) {
    Object.assign(this, { store, send, online, now, newId, locks });
    this.batchSize = BATCH;  // smaller after the edge refused a batch as too large
    this.userId = null;
    this.listeners = new Set();
    this.sending = null;
    this.adding = 0;  // add() calls not yet in the store (see idle())
    this.lastError = null;
    this.reachable = null;
  }

  /** Call fn(event) on "queued", "result", "state"; returns an unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(event) {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (error) {
        console.error("outbox listener failed", error);
      }
    }
  }

  /**
   * Record one action. It is in the store when this resolves; sending starts
   * in the background. A command made while offline is a replay: it already
   * happened on the floor, and the edge records it even against the odds.
   * `local` is what the screen expects the command to do (e.g. the quantity a
   * case barcode adds), kept with it on the device and never sent.
   */
  async add(type, payload, local = undefined) {
    const command = {
      id: this.newId(), type, at: this.now().toISOString(), replay: !this.online(),
      payload, user_id: this.userId, ...(local === undefined ? {} : { local }),
    };
    this.adding += 1;
    try {
      await this.store.add(command);
    } finally {
      this.adding -= 1;
    }
    this.emit({ type: "queued", command });
    // Offline, the `online` event and the timer send it; trying now would
    // only fail, once per scan.
    if (this.online()) this.flush().catch((error) => console.error("outbox flush failed", error));
    return command;
  }

  /** Commands still to send for the signed-in user, oldest first (at most `limit`). */
  async pending(limit) {
    if (this.userId === null) return [];
    return this.store.pending(this.userId, limit);
  }

  /** True when nothing is being recorded, sent or waiting to be sent. */
  async idle() {
    return this.adding === 0 && !this.sending && (await this.count()) === 0;
  }

  /** How many commands the signed-in user still has to send. */
  async count() {
    if (this.userId === null) return 0;
    return this.store.count(this.userId);
  }

  async attention() {
    return this.store.attention();
  }

  async dismiss(id) {
    await this.store.dismiss(id);
    this.emit({ type: "state" });
  }

  /** "Send again" from needs attention: back to the end of the queue in one step, then send. */
  async retry(id) {
    await this.store.retry(id);
    this.emit({ type: "state" });
    this.flush().catch((error) => console.error("outbox flush failed", error));
  }

  /**
   * Send what is pending, in order, until it is all answered or the edge is
   * out of reach. Concurrent calls share one run, and a call made during a
   * run gets another pass, so nothing added meanwhile waits for the timer.
   */
  flush() {
    if (this.sending) {
      this.again = true;
      return this.sending;
    }
    this.sending = (async () => {
      try {
        do {
          this.again = false;
          await this.sendAlone();
        } while (this.again && this.reachable !== false);
      } finally {
        this.sending = null;
        this.emit({ type: "state" });
      }
    })();
    return this.sending;
  }

  /** sendAll() holding the tabs' one outbox lock; without Web Locks (plain http), as is. */
  async sendAlone() {
    if (!this.locks) return this.sendAll();
    let ran = false;
    try {
      return await this.locks.request("floorscan-outbox", () => {
        ran = true;
        return this.sendAll();
      });
    } catch (error) {
      if (ran) throw error;
      return this.sendAll();  // the lock itself failed: sending beats not sending
    }
  }

  async sendAll() {
    if (this.userId === null) return;
    for (;;) {
      const batch = await this.pending(this.batchSize);
      if (!batch.length) return;
      let results;
      try {
        results = await this.send(batch.map(wire));
      } catch (error) {
        if (refusesTheRequest(error)) {
          await this.refused(batch, error);
          continue;
        }
        await this.failed(batch, error);
        return;
      }
      this.reachable = true;
      this.lastError = null;
      this.batchSize = Math.min(BATCH, this.batchSize * 2);  // back up after a refusal made it small
      // A command the answer left out goes again with the next run, not at once.
      if (!(await this.reconcile(batch, results))) return;
    }
  }

  /**
   * The edge refused the request as a whole (413: too many or too large; 400,
   * 415, 422: it could not read it): sending the same batch again would get the
   * same answer forever, with everything behind it waiting. Send halves until
   * one command alone is refused; that one goes to needs attention.
   */
  async refused(batch, error) {
    this.reachable = true;
    if (batch.length > 1) {
      this.batchSize = Math.ceil(batch.length / 2);
      return;
    }
    const [command] = batch;
    const problem = error.problem ?? { status: error.status, title: "Refused", detail: String(error.message) };
    await this.store.reject(command.id, problem);
    this.emit({ type: "result", command, result: { id: command.id, status: "rejected", problem } });
  }

  async failed(batch, error) {
    this.lastError = error;
    if (error instanceof Offline) {
      this.reachable = false;
      // These were first attempted with the edge out of reach: by the time
      // they arrive they are facts from the floor, not requests.
      for (const command of batch) {
        if (!command.replay) await this.store.update({ ...command, replay: true });
      }
    } else if (!(error instanceof SignedOut)) {
      console.error("sending commands failed", error);
    }
  }

  /** Settle each answered command; false if any went unanswered (it stays queued). */
  async reconcile(batch, results) {
    const byId = new Map(results.map((r) => [r.id, r]));
    let all = true;
    for (const command of batch) {
      const result = byId.get(command.id);
      if (!result) {
        all = false;
        continue;
      }
      if (result.status === "applied" || result.status === "duplicate") {
        await this.store.remove(command.id);
      } else {
        await this.store.reject(command.id, result.problem ?? { title: "Rejected", detail: "the edge refused this" });
      }
      this.emit({ type: "result", command, result });
    }
    return all;
  }

  /** Flush now, whenever the browser says the network is back, and every `every` ms. */
  start({ every = 15000, events = globalThis } = {}) {
    const kick = () => this.flush().catch((error) => console.error(error));
    events.addEventListener?.("online", kick);
    const timer = setInterval(kick, every);
    kick();
    return () => {
      events.removeEventListener?.("online", kick);
      clearInterval(timer);
    };
  }
}

function wire({ id, type, at, replay, payload }) {
  return { id, type, at, replay, payload };
}

/** The store contract, in memory. db.js implements the same on IndexedDB. */
export class MemoryStore {
  constructor() {
    this.queue = [];
    this.rejected = [];
  }

  async add(command) { this.queue.push(structuredClone(command)); }

  async pending(userId, limit = Infinity) {
    return structuredClone(this.queue.filter((c) => c.user_id === userId).slice(0, limit));
  }

  async count(userId) { return this.queue.filter((c) => c.user_id === userId).length; }

  async update(command) {
    const i = this.queue.findIndex((c) => c.id === command.id);
    if (i >= 0) this.queue[i] = structuredClone(command);
  }

  async remove(id) { this.queue = this.queue.filter((c) => c.id !== id); }

  async reject(id, problem) {
    const command = this.queue.find((c) => c.id === id);
    this.queue = this.queue.filter((c) => c.id !== id);
    if (command) this.rejected.push({ ...command, problem, rejected_at: new Date().toISOString() });
  }

  async attention() { return structuredClone(this.rejected); }

  async dismiss(id) { this.rejected = this.rejected.filter((c) => c.id !== id); }

  async retry(id) {
    const command = this.rejected.find((c) => c.id === id);
    this.rejected = this.rejected.filter((c) => c.id !== id);
    if (command) {
      const { problem, rejected_at, seq, ...again } = command;  // eslint-disable-line no-unused-vars
      this.queue.push(again);
    }
  }
}
