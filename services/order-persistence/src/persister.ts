// The write path: PostgreSQL when it is available, the spool when it is not, and a background
// replay that moves spooled orders into PostgreSQL until the spool is empty.
//
// While the database is known to be down, new orders go straight to the spool instead of each
// waiting for its own connection attempt to fail (which, for an unreachable host, takes the whole
// connect timeout). The replay loop is the only thing probing the database; its first successful
// insert switches new orders back to PostgreSQL while the rest of the spool drains.
import type pg from "pg";
import { isDatabaseUnavailable } from "./db";
import type { Logger } from "./log";
import type { Metrics } from "./metrics";
import type { OrderRecord } from "./order";
import type { Spool } from "./spool";
import { insertOrder } from "./store";

export type PersistOutcome = "stored" | "duplicate" | "spooled";

export interface PersisterOptions {
  /** First wait after a failed replay; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

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

  constructor(
    private readonly pool: pg.Pool,
    private readonly spool: Spool,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: PersisterOptions = {},
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** Migrations ran: write to PostgreSQL from now on and replay what the spool holds. */
  schemaReady(): void {
    this.migrated = true;
    this.databaseUp = true;
    this.startReplay();
  }

  /**
   * Stores the order, or spools it if PostgreSQL is unavailable. Throws only for errors that are
   * neither (a database error that is not an outage, or a spool that cannot be written).
   */
  async persist(order: OrderRecord): Promise<PersistOutcome> {
    if (this.databaseUp) {
      try {
        const inserted = await insertOrder(this.pool, order);
        this.counted(order, inserted);
        return inserted ? "stored" : "duplicate";
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        if (this.databaseUp) {
          this.databaseUp = false;
          this.logger.warn("database unavailable, spooling orders", { error });
        }
      }
    }
    await this.spool.write(order);
    this.metrics.ordersSpooled.inc();
    this.logger.info("order spooled", { orderId: order.orderId, spoolDepth: this.spool.depth });
    this.startReplay();
    return "spooled";
  }

  /** Stops replaying (a replay in progress finishes its current order). The spool stays on disk. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeReplay?.();
    await this.replaying;
  }

  private counted(order: OrderRecord, inserted: boolean): void {
    if (!inserted) {
      this.metrics.ordersDuplicate.inc();
      return;
    }
    this.metrics.ordersPersisted.inc();
    const total = Number(order.total);
    // Counters only go up; a (strange but valid) negative total is left out of the revenue rate.
    if (total > 0) this.metrics.orderRevenue.inc({ currency: order.totalCurrency }, total);
  }

  private startReplay(): void {
    if (this.replaying || this.closed || !this.migrated || this.spool.depth === 0) return;
    this.replaying = this.replay()
      .catch((error: unknown) => this.logger.error("spool replay stopped", { error }))
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
      for (const name of this.spool.pending()) {
        if (this.closed) return;
        let order: OrderRecord;
        try {
          order = await this.spool.read(name);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            await this.spool.remove(name);
          } else {
            this.logger.error("unreadable spool file quarantined", { file: name, error });
            await this.spool.quarantine(name);
          }
          continue;
        }
        try {
          const inserted = await insertOrder(this.pool, order);
          if (!this.databaseUp) {
            this.databaseUp = true;
            this.logger.info("database available again", { spoolDepth: this.spool.depth });
          }
          this.counted(order, inserted);
          await this.spool.remove(name);
          backoff = this.initialBackoffMs;
        } catch (error) {
          if (isDatabaseUnavailable(error)) {
            this.databaseUp = false;
            break;
          }
          // Not an outage, so retrying now would fail the same way; the file stays (nothing is
          // lost, order_spool_depth stays up for the alert) and is retried after the backoff.
          this.logger.error("spooled order could not be stored", { orderId: order.orderId, error });
        }
      }
      if (this.spool.depth === 0 || this.closed) break;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
    if (this.spool.depth === 0) {
      this.databaseUp = true;
      this.logger.info("spool replay finished", { spoolDepth: 0 });
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
