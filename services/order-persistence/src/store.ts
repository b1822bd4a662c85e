// Writes orders: orders rows + order_items rows, atomically, idempotent on order_id.
//
// One statement writes a whole batch. The items INSERT keeps only the items whose order_id the
// orders INSERT returned, which leaves out orders ON CONFLICT skipped, so items are written only
// together with a new order row. A single statement is its own transaction (all or nothing), and
// the foreign key on order_items is checked at the end of that statement.
//
// Group commit: calls that arrive while a batch is being written wait for the next one, so under
// load many orders share one round trip, one statement and one commit, and none waits longer than
// one batch ahead of it. The benchmark (generator/bench-orders.ts) showed per-order round trips and
// socket writes dominating; unloaded, a batch is a single order and costs what one insert did.
import type pg from "pg";
import { isDatabaseUnavailable } from "./db";
import { orderFingerprint, type OrderRecord } from "./order";

const INSERT_ORDERS = `WITH new_orders AS (
  INSERT INTO orders (order_id, user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code, content_sha256)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::numeric[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::text[])
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id
), new_items AS (
  INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_currency, unit_price)
  SELECT i.order_id, i.line, i.product_id, i.quantity, i.currency, i.price
  FROM unnest($14::text[], $15::int[], $16::text[], $17::int[], $18::text[], $19::numeric[]) AS i(order_id, line, product_id, quantity, currency, price)
  WHERE i.order_id IN (SELECT order_id FROM new_orders)
)
SELECT order_id FROM new_orders`;

/** Stores the orders (distinct order_ids) in one statement; returns the order_ids that were new. */
export async function insertOrders(pool: pg.Pool, orders: readonly OrderRecord[]): Promise<Set<string>> {
  const columns: unknown[][] = Array.from({ length: 19 }, () => []);
  for (const order of orders) {
    const row = [order.orderId, order.userId, order.shippingTrackingId, order.shippingCostCurrency, order.shippingCost, order.totalCurrency, order.total, order.streetAddress, order.city, order.state, order.country, order.zipCode, orderFingerprint(order)];
    for (let k = 0; k < row.length; k++) columns[k]!.push(row[k]);
    for (const item of order.items) {
      const itemRow = [order.orderId, item.line, item.productId, item.quantity, item.unitPriceCurrency, item.unitPrice];
      for (let k = 0; k < itemRow.length; k++) columns[13 + k]!.push(itemRow[k]);
    }
  }
  const result = await pool.query<{ order_id: string }>({ name: "insert-orders", text: INSERT_ORDERS, values: columns });
  return new Set(result.rows.map((row) => row.order_id));
}

/** The fingerprint of the stored version of an order_id (null: stored before fingerprints existed). */
export async function storedFingerprint(pool: pg.Pool, orderId: string): Promise<string | null> {
  const result = await pool.query<{ content_sha256: string | null }>({ name: "stored-fingerprint", text: "SELECT content_sha256 FROM orders WHERE order_id = $1", values: [orderId] });
  return result.rows[0]?.content_sha256 ?? null;
}

interface Pending {
  order: OrderRecord;
  resolve(inserted: boolean): void;
  reject(error: unknown): void;
}

export interface OrderWriterOptions {
  /** Most orders in one statement. */
  maxBatch?: number;
  /** Batches written at once (each on its own connection). */
  maxInFlight?: number;
}

/** Group commit over insertOrders: insert() resolves true when the order was new, false for a repeat. */
export class OrderWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly pool: pg.Pool,
    options: OrderWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  insert(order: OrderRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ order, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.nextBatch();
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  /** Up to maxBatch queued orders with distinct order_ids; a repeat waits for the next batch. */
  private nextBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const ids = new Set<string>();
    for (const pending of this.queue) {
      if (batch.length < this.maxBatch && !ids.has(pending.order.orderId)) {
        ids.add(pending.order.orderId);
        batch.push(pending);
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const inserted = await insertOrders(this.pool, batch.map((pending) => pending.order));
      for (const pending of batch) pending.resolve(inserted.has(pending.order.orderId));
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // An order the database refuses must not fail the others with it: one statement each.
      await Promise.all(batch.map((pending) => insertOrders(this.pool, [pending.order]).then((inserted) => pending.resolve(inserted.size === 1), pending.reject)));
    }
  }
}
