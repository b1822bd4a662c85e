// The write path: PostgreSQL when it is available, the spool when it is not, and a background
// replay that moves spooled orders into PostgreSQL until the spool is empty.
//
// While the database is known to be down, new orders go straight to the spool instead of each
// waiting for its own connection attempt to fail (which, for an unreachable host, takes the whole
// connect timeout). The replay loop probes the database at least every `outageProbeMs`; its first
// successful insert switches new orders back to PostgreSQL while the rest of the spool drains.
//
// The first version of an order_id wins, wherever it is: in PostgreSQL, or still in the spool. A
// later confirmation with the same id and the same content is a duplicate (OK); with other content
// it is a conflict: refused when it arrives (OrderConflictError), or, if it was spooled while the
// first version could not be compared, set aside at replay. Both are counted and logged.
import type pg from "pg";
import { isDatabaseUnavailable } from "./db";
import type { Logger } from "./log";
import type { Metrics } from "./metrics";
import { orderFingerprint, type OrderRecord } from "./order";
import { SpoolFileCorrupt, type Spool } from "./spool";
import { OrderWriter, storedFingerprint } from "./store";

export type PersistOutcome = "stored" | "duplicate" | "spooled";

/** The order_id is stored (or spooled) with other content; the first version stands. */
export class OrderConflictError extends Error {
  override name = "OrderConflictError";
}

/** Neither PostgreSQL nor the spool could take the order: the caller must know it is not kept. */
export class OrderNotKeptError extends Error {
  override name = "OrderNotKeptError";
}

export interface PersisterOptions {
  /** First wait after a replay pass that left files behind; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest wait between replay passes while the database is down (how soon its return is noticed). */
  outageProbeMs?: number;
}

/** How a replay pass ended. */
type PassResult = "drained" | "outage" | "files-left";

export class OrderPersister {
  /** The schema exists (migrations ran); until then nothing may touch the tables. */
  private migrated = false;
  /** Last known state of the database; false → spool directly. */
  private databaseUp = false;
  private closed = false;
  private replaying: Promise<void> | undefined;
  private wakeReplay: (() => void) | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly outageProbeMs: number;
  private readonly writer: OrderWriter;

  constructor(
    private readonly pool: pg.Pool,
    private readonly spool: Spool,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: PersisterOptions = {},
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.outageProbeMs = options.outageProbeMs ?? 1_000;
    this.writer = new OrderWriter(pool);
  }

  /** Migrations ran: write to PostgreSQL from now on and replay what the spool holds. */
  schemaReady(): void {
    this.migrated = true;
    this.databaseUp = true;
    this.startReplay();
  }

  /**
   * Stores the order, or spools it if PostgreSQL is unavailable. Throws OrderConflictError for a
   * conflicting repeat, OrderNotKeptError when neither could take it, and any database error
   * that is not an outage.
   */
  async persist(order: OrderRecord): Promise<PersistOutcome> {
    // A version waiting in the spool came first; PostgreSQL would let this one overtake it.
    if (this.spool.holds(order.orderId)) {
      const outcome = await this.compareWithSpooled(order);
      if (outcome !== undefined) return outcome;
      // The replay took that version out of the spool meanwhile: compared below like any other repeat.
    }
    let outage: unknown;
    if (this.databaseUp) {
      try {
        return await this.store(order);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        outage = error;
        this.databaseDown(error);
      }
    }
    try {
      return await this.toSpool(order);
    } catch (spoolError) {
      if (spoolError instanceof OrderConflictError) throw spoolError;
      // The spool cannot take it (full, unwritable): the database may be back already.
      if (outage !== undefined || !this.migrated) throw new OrderNotKeptError("neither PostgreSQL nor the spool could take the order", { cause: spoolError });
      this.logger.error("spool write failed, trying PostgreSQL", { orderId: order.orderId, error: spoolError });
      try {
        return await this.store(order);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        throw new OrderNotKeptError("neither PostgreSQL nor the spool could take the order", { cause: spoolError });
      }
    }
  }

  /** Stops replaying (a replay in progress finishes its current order). The spool stays on disk. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeReplay?.();
    await this.replaying;
  }

  /** Writes to PostgreSQL; an answer, whatever it is, means the database is back. */
  private async store(order: OrderRecord): Promise<PersistOutcome> {
    const inserted = await this.writer.insert(order);
    this.databaseBack();
    if (inserted) {
      this.countStored(order);
      return "stored";
    }
    const stored = await storedFingerprint(this.pool, order.orderId);
    // Rows written before fingerprints existed (null) cannot be compared: taken as the same order.
    if (stored !== null && stored !== orderFingerprint(order)) throw this.conflict(order, "stored");
    this.metrics.ordersDuplicate.inc();
    return "duplicate";
  }

  private async toSpool(order: OrderRecord): Promise<PersistOutcome> {
    const written = await this.spool.write(order);
    if (written === "conflict") throw this.conflict(order, "spooled");
    if (written === "duplicate") {
      this.metrics.ordersDuplicate.inc();
      return "duplicate";
    }
    this.metrics.ordersSpooled.inc();
    this.logger.info("order spooled", { orderId: order.orderId, spoolDepth: this.spool.depth });
    this.startReplay();
    return "spooled";
  }

  /** Undefined when the spooled version is gone (stored, or set aside, by the replay since holds()). */
  private async compareWithSpooled(order: OrderRecord): Promise<PersistOutcome | undefined> {
    let spooled: OrderRecord;
    try {
      spooled = await this.spool.readOrder(order.orderId);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (orderFingerprint(spooled) !== orderFingerprint(order)) throw this.conflict(order, "spooled");
    this.metrics.ordersDuplicate.inc();
    return "duplicate";
  }

  private conflict(order: OrderRecord, firstVersion: "stored" | "spooled"): OrderConflictError {
    this.metrics.ordersConflicting.inc();
    this.logger.warn("order_id already taken by an order with other content: the first version stands", { orderId: order.orderId, firstVersion, total: order.total, items: order.items.length });
    return new OrderConflictError(`order ${order.orderId} is already ${firstVersion} with other content`);
  }

  private databaseDown(error: unknown): void {
    if (!this.databaseUp) return;
    this.databaseUp = false;
    this.logger.warn("database unavailable, spooling orders", { error });
  }

  private databaseBack(): void {
    if (this.databaseUp) return;
    this.databaseUp = true;
    this.logger.info("database available again", { spoolDepth: this.spool.depth });
  }

  private countStored(order: OrderRecord): void {
    this.metrics.ordersPersisted.inc();
    this.metrics.orderRevenue.inc({ currency: order.totalCurrency }, Number(order.total));
  }

  private startReplay(): void {
    if (this.replaying || this.closed || !this.migrated || this.spool.depth === 0) return;
    this.replaying = this.replay()
      .catch(async (error: unknown) => {
        // A bug, not an outage: wait before the next attempt rather than spin.
        this.logger.error("spool replay failed", { error });
        await this.sleep(this.maxBackoffMs);
      })
      .finally(() => {
        this.replaying = undefined;
        // Orders spooled while the last pass was finishing would otherwise wait for the next outage.
        this.startReplay();
      });
  }

  private async replay(): Promise<void> {
    let backoff = this.initialBackoffMs;
    this.logger.info("spool replay started", { spoolDepth: this.spool.depth });
    while (!this.closed && this.spool.depth > 0) {
      const result = await this.replayPass();
      if (result === "drained" || this.closed) break;
      // While the database is down the pass is the probe: never wait longer than outageProbeMs,
      // so new orders go back to PostgreSQL soon after it returns.
      await this.sleep(result === "outage" ? Math.min(backoff, this.outageProbeMs) : backoff);
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
    if (this.spool.depth === 0) {
      this.databaseBack();
      this.logger.info("spool replay finished", { spoolDepth: 0 });
    }
  }

  /** One pass over the queued files. Files that fail for a reason that may pass stay queued. */
  private async replayPass(): Promise<PassResult> {
    let fileErrors = 0;
    let lastFileError: unknown;
    for (const name of this.spool.pending()) {
      if (this.closed) return "files-left";
      let order: OrderRecord;
      try {
        order = await this.spool.read(name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") this.spool.forget(name);
        else if (!(error instanceof SpoolFileCorrupt && (await this.quarantine(name, error)))) {
          // EACCES, EMFILE, EIO…: the order is still on disk and is retried after the backoff.
          fileErrors++;
          lastFileError = error;
        }
        continue;
      }
      try {
        await this.replayOne(name, order);
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.databaseDown(error);
          return "outage";
        }
        // Not an outage, so retrying now would fail the same way; the file stays (nothing is
        // lost, order_spool_depth stays up for the alert) and is retried after the backoff.
        this.logger.error("spooled order could not be replayed", { orderId: order.orderId, error });
      }
    }
    // One line per pass, however many files failed: passes are spaced by the backoff.
    if (fileErrors > 0) this.logger.error("spool files could not be read; retrying", { files: fileErrors, error: lastFileError, spoolDepth: this.spool.depth });
    return this.spool.depth === 0 ? "drained" : "files-left";
  }

  private async replayOne(name: string, order: OrderRecord): Promise<void> {
    try {
      await this.store(order);
    } catch (error) {
      if (!(error instanceof OrderConflictError)) throw error;
      // Spooled while the first version could not be compared: that one stands, this one is kept aside.
      await this.spool.setAsideConflict(name);
      return;
    }
    await this.spool.remove(name);
  }

  /** True once the file is set aside; false when even that failed (it is retried with the rest). */
  private async quarantine(name: string, error: SpoolFileCorrupt): Promise<boolean> {
    this.logger.error("spool file can never be stored: quarantined", { file: name, error });
    try {
      await this.spool.quarantine(name);
      return true;
    } catch {
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReplay = done;
    });
  }
}
