// Writes one order: orders row + order_items rows, atomically, idempotent on order_id.
//
// One statement does it all. The items INSERT reads the order_id from the orders INSERT's
// RETURNING, which is empty when ON CONFLICT skipped the row, so items are written only together
// with a new order row. A single statement is its own transaction (all or nothing), and the
// foreign key on order_items is checked at the end of that statement, after the orders row exists.
// Compared with BEGIN / INSERT / INSERT / COMMIT this is one round trip instead of four, and as a
// named (prepared) statement PostgreSQL parses and plans it once per connection — the benchmark
// (generator/bench-orders.ts) showed the per-order round trips and socket writes dominating.
import type pg from "pg";
import { orderFingerprint, type OrderRecord } from "./order";

const INSERT_ORDER = `WITH new_order AS (
  INSERT INTO orders (order_id, user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code, content_sha256)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $18)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id
), new_items AS (
  INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_currency, unit_price)
  SELECT new_order.order_id, i.line, i.product_id, i.quantity, i.currency, i.price
  FROM new_order, unnest($13::int[], $14::text[], $15::int[], $16::text[], $17::numeric[]) AS i(line, product_id, quantity, currency, price)
)
SELECT count(*)::int AS inserted FROM new_order`;

/** Stores the order; true when it was new, false when order_id was already stored (nothing written). */
export async function insertOrder(pool: pg.Pool, order: OrderRecord): Promise<boolean> {
  const items = order.items;
  const lines = new Array<number>(items.length);
  const products = new Array<string>(items.length);
  const quantities = new Array<number>(items.length);
  const currencies = new Array<string>(items.length);
  const prices = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    lines[i] = item.line;
    products[i] = item.productId;
    quantities[i] = item.quantity;
    currencies[i] = item.unitPriceCurrency;
    prices[i] = item.unitPrice;
  }
  const result = await pool.query<{ inserted: number }>({
    name: "insert-order",
    text: INSERT_ORDER,
    values: [order.orderId, order.userId, order.shippingTrackingId, order.shippingCostCurrency, order.shippingCost, order.totalCurrency, order.total, order.streetAddress, order.city, order.state, order.country, order.zipCode, lines, products, quantities, currencies, prices, orderFingerprint(order)],
  });
  return result.rows[0]?.inserted === 1;
}

/** The fingerprint of the stored version of an order_id (null: stored before fingerprints existed). */
export async function storedFingerprint(pool: pg.Pool, orderId: string): Promise<string | null> {
  const result = await pool.query<{ content_sha256: string | null }>({ name: "stored-fingerprint", text: "SELECT content_sha256 FROM orders WHERE order_id = $1", values: [orderId] });
  return result.rows[0]?.content_sha256 ?? null;
}
