// A durable queue of orders on the service's own volume, used while PostgreSQL is unavailable.
// One file per order, named after its order_id: spooling the same order twice leaves one file,
// and replay goes through the same idempotent insert, so an order is never stored twice.
// Each file is written to a temporary name, fsynced, renamed into place and the directory
// fsynced: after a crash a file is either absent or complete, never half-written.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { OrderRecord } from "./order";

const SUFFIX = ".json";
const TEMP_PREFIX = ".tmp-";
/** Most file systems allow 255 bytes per name; longer ids are hashed instead. */
const MAX_ENCODED = 200;

interface SpoolEntry {
  version: 1;
  spooledAt: string;
  order: OrderRecord;
}

/**
 * order_id → file name. base64url is reversible, uses only [A-Za-z0-9_-] (no "/", no "..", never
 * a leading "." so it cannot clash with temp files) and keeps distinct ids distinct; ids too long
 * for a file name fall back to a SHA-256 digest under another prefix.
 */
export function spoolFileName(orderId: string): string {
  const encoded = Buffer.from(orderId, "utf8").toString("base64url");
  if (encoded.length <= MAX_ENCODED) return `o-${encoded}${SUFFIX}`;
  return `h-${createHash("sha256").update(orderId, "utf8").digest("hex")}${SUFFIX}`;
}

export class Spool {
  private readonly names = new Set<string>();

  constructor(readonly dir: string) {}

  /** Creates the directory, removes temp files a crash left behind, and counts what is queued. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.dir, name), { force: true });
      else if (name.endsWith(SUFFIX)) this.names.add(name);
    }
  }

  /** Orders waiting for replay. */
  get depth(): number {
    return this.names.size;
  }

  /** Durably queues the order; resolves only once it would survive a crash. */
  async write(order: OrderRecord): Promise<void> {
    const name = spoolFileName(order.orderId);
    const entry: SpoolEntry = { version: 1, spooledAt: new Date().toISOString(), order };
    const temp = join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const file = await open(temp, "wx", 0o600);
    try {
      await file.writeFile(JSON.stringify(entry), "utf8");
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temp, { force: true });
      throw error;
    }
    await file.close();
    await rename(temp, join(this.dir, name));
    await this.syncDir();
    this.names.add(name);
  }

  /** Names currently queued, oldest-first is not needed: replay is idempotent and order-independent. */
  pending(): string[] {
    return [...this.names];
  }

  async read(name: string): Promise<OrderRecord> {
    const entry = JSON.parse(await readFile(join(this.dir, name), "utf8")) as SpoolEntry;
    if (entry.version !== 1 || typeof entry.order?.orderId !== "string") throw new Error(`unrecognised spool file ${name}`);
    return entry.order;
  }

  /** Drops a replayed order. A lost unlink (crash) only means one more idempotent replay. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    this.names.delete(name);
  }

  /** Moves an unreadable file out of the queue (renamed *.bad) so replay does not spin on it. */
  async quarantine(name: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, `${name}.bad`)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    this.names.delete(name);
  }

  /** A rename is durable only once the directory entry itself is on disk. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
