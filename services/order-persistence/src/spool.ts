// A durable queue of orders on the service's own volume, used while PostgreSQL is unavailable.
// One file per order, named after its order_id. A file is written to a temporary name, fsynced,
// then linked into place (which fails if the name exists: the first version of an order_id wins,
// as it does in PostgreSQL) and the directory fsynced: after a crash a file is either absent or
// complete, never half-written.
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { checkRecord, orderFingerprint, type OrderRecord } from "./order";

const SUFFIX = ".json";
const TEMP_PREFIX = ".tmp-";
/** Quarantined files: they cannot be parsed, or hold a record no database would accept. */
const QUARANTINE_SUFFIX = ".bad";
/** A later version of an order_id whose first version was already stored, kept for an operator. */
const CONFLICT_SUFFIX = ".conflict";
/** Most file systems allow 255 bytes per name; longer ids are hashed instead. */
const MAX_ENCODED = 200;

interface SpoolEntry {
  version: 1;
  spooledAt: string;
  order: OrderRecord;
}

/** The file can never become an order: quarantine it (every other read error is retried). */
export class SpoolFileCorrupt extends Error {
  override name = "SpoolFileCorrupt";
}

/** What writing an order to the spool did. */
export type SpoolWrite = "spooled" | "duplicate" | "conflict";

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

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === "ENOENT";

export class Spool {
  private readonly names = new Set<string>();
  private quarantinedFiles = 0;

  constructor(readonly dir: string) {}

  /** Creates the directory, removes temp files a crash left behind, and counts what is queued. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.dir, name), { force: true });
      else if (name.endsWith(SUFFIX)) this.names.add(name);
      else if (name.endsWith(QUARANTINE_SUFFIX)) this.quarantinedFiles++;
    }
  }

  /** Orders waiting for replay. */
  get depth(): number {
    return this.names.size;
  }

  /** Files set aside because they can never be stored (each one an alert). */
  get quarantined(): number {
    return this.quarantinedFiles;
  }

  /** Whether a version of this order_id waits in the spool. */
  holds(orderId: string): boolean {
    return this.names.has(spoolFileName(orderId));
  }

  /**
   * Durably queues the order; resolves only once it would survive a crash. An order_id already
   * queued is not replaced: "duplicate" when the content is the same, "conflict" when it differs.
   */
  async write(order: OrderRecord): Promise<SpoolWrite> {
    const name = spoolFileName(order.orderId);
    const entry: SpoolEntry = { version: 1, spooledAt: new Date().toISOString(), order };
    const temp = join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const file = await open(temp, "wx", 0o600);
    try {
      await file.writeFile(JSON.stringify(entry), "utf8");
      await file.sync();
      await file.close();
      await link(temp, join(this.dir, name));
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      this.names.add(name);
      return orderFingerprint(await this.read(name)) === orderFingerprint(order) ? "duplicate" : "conflict";
    }
    await unlink(temp);
    await this.syncDir();
    this.names.add(name);
    return "spooled";
  }

  /** Names currently queued; replay is idempotent and order-independent. */
  pending(): string[] {
    return [...this.names];
  }

  /**
   * The order in a queued file. Throws SpoolFileCorrupt for a file that can never be stored,
   * the file system's error (ENOENT, EACCES, EMFILE, EIO, …) for anything that may pass.
   */
  async read(name: string): Promise<OrderRecord> {
    const text = await readFile(join(this.dir, name), "utf8");
    let entry: SpoolEntry;
    try {
      entry = JSON.parse(text) as SpoolEntry;
      if (entry?.version !== 1) throw new Error(`unknown spool format version ${JSON.stringify(entry?.version)}`);
      return checkRecord(entry.order);
    } catch (error) {
      throw new SpoolFileCorrupt(`${name}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The queued version of this order_id (for comparing a later one against it). */
  async readOrder(orderId: string): Promise<OrderRecord> {
    return this.read(spoolFileName(orderId));
  }

  /** Drops a replayed order. A lost unlink (crash) only means one more idempotent replay. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    this.names.delete(name);
  }

  /** Moves a file that can never be stored out of the queue (renamed *.bad), counted for the alert. */
  async quarantine(name: string): Promise<void> {
    await this.setAside(name, QUARANTINE_SUFFIX);
    this.quarantinedFiles++;
  }

  /** Keeps a conflicting later version out of the queue (renamed *.conflict) for an operator. */
  async setAsideConflict(name: string): Promise<void> {
    await this.setAside(name, CONFLICT_SUFFIX);
  }

  /** A file another process removed meanwhile is simply gone from the queue. */
  forget(name: string): void {
    this.names.delete(name);
  }

  private async setAside(name: string, suffix: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, `${name}${suffix}`)).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    await this.syncDir();
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
