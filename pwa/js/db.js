// The device's IndexedDB: the outbox (commands not yet answered, in order),
// the "needs attention" list, and a small cache of what screens need offline
// (the open pick list, bins and barcodes seen). Implements the store contract
// of outbox.js (MemoryStore is the reference).
import { openDB } from "../vendor/idb/index.js";

const NAME = "floorscan";
const VERSION = 1;

export async function openStore() {
  const db = await openDB(NAME, VERSION, {
    upgrade(db) {
      // seq gives the order commands were made in; id finds one by its UUID.
      const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("id", "id", { unique: true });
      // One user's commands in the order they were made (index key, then seq).
      outbox.createIndex("user_id", "user_id");
      db.createObjectStore("attention", { keyPath: "id" });
      db.createObjectStore("cache");
    },
    blocked() {
      console.warn("another tab holds an old version of the floorscan database open");
    },
  });
  return new IdbStore(db);
}

export class IdbStore {
  constructor(db) {
    this.db = db;
  }

  async add(command) {
    await this.db.add("outbox", command);
  }

  /** A user's pending commands, oldest first; at most `limit`. */
  async pending(userId, limit) {
    return this.db.getAllFromIndex("outbox", "user_id", userId, limit);
  }

  async count(userId) {
    return this.db.countFromIndex("outbox", "user_id", userId);
  }

  async update(command) {
    const tx = this.db.transaction("outbox", "readwrite");
    const seq = await tx.store.index("id").getKey(command.id);
    if (seq !== undefined) await tx.store.put({ ...command, seq });
    await tx.done;
  }

  async remove(id) {
    const tx = this.db.transaction("outbox", "readwrite");
    const seq = await tx.store.index("id").getKey(id);
    if (seq !== undefined) await tx.store.delete(seq);
    await tx.done;
  }

  /** Move a command from the outbox to "needs attention" in one transaction. */
  async reject(id, problem) {
    const tx = this.db.transaction(["outbox", "attention"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const command = await outbox.index("id").get(id);
    if (command) {
      await outbox.delete(command.seq);
      await tx.objectStore("attention").put({ ...command, problem, rejected_at: new Date().toISOString() });
    }
    await tx.done;
  }

  async attention() {
    const rows = await this.db.getAll("attention");
    return rows.sort((a, b) => a.seq - b.seq);
  }

  async dismiss(id) {
    await this.db.delete("attention", id);
  }

  /** Back from "needs attention" to the end of the outbox, in one transaction:
   *  a tab closed half-way must not leave the command in neither list. */
  async retry(id) {
    const tx = this.db.transaction(["outbox", "attention"], "readwrite");
    const command = await tx.objectStore("attention").get(id);
    if (command) {
      const { problem, rejected_at, seq, ...again } = command;  // eslint-disable-line no-unused-vars
      await tx.objectStore("attention").delete(id);
      await tx.objectStore("outbox").add(again);
    }
    await tx.done;
  }

  async cacheGet(key) {
    return this.db.get("cache", key);
  }

  async cachePut(key, value) {
    await this.db.put("cache", value, key);
  }
}
