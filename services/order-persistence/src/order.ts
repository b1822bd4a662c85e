// From the wire message to the rows we store. All validation happens here, before PostgreSQL sees
// anything and whether or not it is up, so that a database error always means "the database has a
// problem" (→ spool and retry) and never "this order can never be stored" (→ INVALID_ARGUMENT to
// the caller). An order acknowledged while PostgreSQL is down must be one it will accept later.
import { createHash } from "node:crypto";
import { checkRange, formatNanos, InvalidOrderError, moneyToNanos } from "./money";
import type { Money, SendOrderConfirmationRequest } from "./messages";

export interface OrderItemRow {
  /** 1-based position in the order (the order_items key with order_id). */
  line: number;
  productId: string;
  quantity: number;
  unitPriceCurrency: string;
  /** Exact decimal literal. */
  unitPrice: string;
}

/** One order as the orders + order_items rows; plain JSON so that the spool can hold it as is. */
export interface OrderRecord {
  orderId: string;
  userId: string;
  shippingTrackingId: string;
  shippingCostCurrency: string;
  shippingCost: string;
  totalCurrency: string;
  total: string;
  streetAddress: string;
  city: string;
  state: string;
  country: string;
  zipCode: number;
  items: OrderItemRow[];
}

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -INT32_MAX - 1;

/**
 * Longest text per field, in UTF-8 bytes. A B-tree index entry must fit in a third of a page
 * (2,704 bytes): order_id, the e-mail (user_id) and product_id are indexed, so a longer value
 * would fail the insert for ever. Upstream sends UUIDs, ten-character product ids and form input;
 * these bounds leave ample room and keep one order (and its spool file) small.
 */
export const textLimits = {
  orderId: 256,
  email: 254, // the longest address SMTP can carry (RFC 5321)
  productId: 256,
  shippingTrackingId: 256,
  addressLine: 1_024,
} as const;

/**
 * Items per order. The catalog has nine products and checkout sends one line per product, so real
 * orders have at most nine; the cap bounds one call's work (150,000 lines stalled other calls).
 */
export const maxItemsPerOrder = 1_000;

/** ISO 4217 codes as Node's ICU knows them (active and historical); the currency service's are among them. */
const currencyCodes: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

/** PostgreSQL text cannot hold NUL, and an indexed value must fit an index page: both stay input errors. */
function textField(value: string, where: string, maxBytes: number): string {
  if (typeof value !== "string") throw new InvalidOrderError(`${where} is not a string`);
  if (value.includes("\u0000")) throw new InvalidOrderError(`${where} contains a NUL character`);
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxBytes) throw new InvalidOrderError(`${where} is ${bytes} bytes long, at most ${maxBytes} allowed`);
  return value;
}

function currencyOf(money: Money, where: string): string {
  const code = money.currency_code;
  // char(3) would silently pad a shorter code; checkout only ever sends ISO 4217 codes.
  if (!currencyCodes.has(code)) throw new InvalidOrderError(`${where}.currency_code is not an ISO 4217 code: ${JSON.stringify(code.slice(0, 16))}`);
  return code;
}

/** Prices and shipping quotes are never negative: a negative amount is a bug or a forged call. */
function amountOf(money: Money, where: string): bigint {
  const nanos = moneyToNanos(money, where);
  if (nanos < 0n) throw new InvalidOrderError(`${where} is negative`);
  return nanos;
}

/**
 * Validates a SendOrderConfirmation request and computes the order total:
 * total = shipping_cost + Σ unit_price × quantity, all in the shipping cost's currency.
 * Throws InvalidOrderError for anything that cannot be stored exactly.
 */
export function toOrderRecord(request: SendOrderConfirmationRequest): OrderRecord {
  const order = request.order;
  if (!order) throw new InvalidOrderError("order is missing");
  const orderId = textField(order.order_id, "order.order_id", textLimits.orderId);
  if (orderId === "") throw new InvalidOrderError("order.order_id is empty");
  if (!order.shipping_cost) throw new InvalidOrderError("order.shipping_cost is missing");
  if (!order.shipping_address) throw new InvalidOrderError("order.shipping_address is missing");
  if (order.items.length > maxItemsPerOrder) throw new InvalidOrderError(`order has ${order.items.length} items, at most ${maxItemsPerOrder} allowed`);

  const currency = currencyOf(order.shipping_cost, "order.shipping_cost");
  const shippingNanos = amountOf(order.shipping_cost, "order.shipping_cost");
  let totalNanos = shippingNanos;
  const items: OrderItemRow[] = [];
  for (const [index, entry] of order.items.entries()) {
    const where = `order.items[${index}]`;
    if (!entry.item) throw new InvalidOrderError(`${where}.item is missing`);
    if (!entry.cost) throw new InvalidOrderError(`${where}.cost is missing`);
    const quantity = entry.item.quantity;
    if (!Number.isInteger(quantity) || quantity <= 0 || quantity > INT32_MAX) throw new InvalidOrderError(`${where}.item.quantity must be positive, got ${quantity}`);
    const itemCurrency = currencyOf(entry.cost, `${where}.cost`);
    if (itemCurrency !== currency) throw new InvalidOrderError(`${where}.cost is in ${itemCurrency} but the order is in ${currency}`);
    const unitNanos = amountOf(entry.cost, `${where}.cost`);
    totalNanos = checkRange(totalNanos + unitNanos * BigInt(quantity), "order total");
    const productId = textField(entry.item.product_id, `${where}.item.product_id`, textLimits.productId);
    items.push({ line: index + 1, productId, quantity, unitPriceCurrency: itemCurrency, unitPrice: formatNanos(unitNanos) });
  }

  const address = order.shipping_address;
  const zipCode = address.zip_code;
  if (!Number.isInteger(zipCode) || zipCode < INT32_MIN || zipCode > INT32_MAX) throw new InvalidOrderError(`order.shipping_address.zip_code is not an integer in ${INT32_MIN}..${INT32_MAX}`);
  return {
    orderId,
    userId: textField(request.email, "email", textLimits.email),
    shippingTrackingId: textField(order.shipping_tracking_id, "order.shipping_tracking_id", textLimits.shippingTrackingId),
    shippingCostCurrency: currency,
    shippingCost: formatNanos(shippingNanos),
    totalCurrency: currency,
    total: formatNanos(totalNanos),
    streetAddress: textField(address.street_address, "order.shipping_address.street_address", textLimits.addressLine),
    city: textField(address.city, "order.shipping_address.city", textLimits.addressLine),
    state: textField(address.state, "order.shipping_address.state", textLimits.addressLine),
    country: textField(address.country, "order.shipping_address.country", textLimits.addressLine),
    zipCode,
    items,
  };
}

/**
 * The content of an order as one digest: two confirmations with the same order_id are the same
 * order only if their fingerprints match. Fields in a fixed order, so key order never matters.
 */
export function orderFingerprint(order: OrderRecord): string {
  const fields = [
    order.orderId, order.userId, order.shippingTrackingId, order.shippingCostCurrency, order.shippingCost, order.totalCurrency, order.total,
    order.streetAddress, order.city, order.state, order.country, order.zipCode,
    order.items.map((item) => [item.line, item.productId, item.quantity, item.unitPriceCurrency, item.unitPrice]),
  ];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}

const DECIMAL = /^\d{1,11}\.\d{9}$/;

function recordText(value: unknown, where: string, maxBytes: number): string {
  return textField(value as string, where, maxBytes);
}

function recordInteger(value: unknown, where: string, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > INT32_MAX) throw new InvalidOrderError(`${where} is not an integer in ${min}..${INT32_MAX}`);
  return value as number;
}

function recordAmount(value: unknown, where: string): string {
  if (typeof value !== "string" || !DECIMAL.test(value)) throw new InvalidOrderError(`${where} is not a non-negative decimal with nine places`);
  return value;
}

function recordCurrency(value: unknown, where: string): string {
  if (typeof value !== "string" || !currencyCodes.has(value)) throw new InvalidOrderError(`${where} is not an ISO 4217 code`);
  return value;
}

/**
 * A record read back from the spool, held to the same rules as a new order: a file that an older
 * version wrote, or that the disk damaged, must not reach PostgreSQL only to fail there for ever.
 */
export function checkRecord(value: unknown): OrderRecord {
  if (typeof value !== "object" || value === null) throw new InvalidOrderError("the record is not an object");
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record.items) || record.items.length > maxItemsPerOrder) throw new InvalidOrderError(`items is not a list of at most ${maxItemsPerOrder}`);
  const items = record.items.map((entry: unknown, index): OrderItemRow => {
    const item = (entry ?? {}) as Record<string, unknown>;
    const where = `items[${index}]`;
    return {
      line: recordInteger(item.line, `${where}.line`, 1),
      productId: recordText(item.productId, `${where}.productId`, textLimits.productId),
      quantity: recordInteger(item.quantity, `${where}.quantity`, 1),
      unitPriceCurrency: recordCurrency(item.unitPriceCurrency, `${where}.unitPriceCurrency`),
      unitPrice: recordAmount(item.unitPrice, `${where}.unitPrice`),
    };
  });
  const orderId = recordText(record.orderId, "orderId", textLimits.orderId);
  if (orderId === "") throw new InvalidOrderError("orderId is empty");
  const checked: OrderRecord = {
    orderId,
    userId: recordText(record.userId, "userId", textLimits.email),
    shippingTrackingId: recordText(record.shippingTrackingId, "shippingTrackingId", textLimits.shippingTrackingId),
    shippingCostCurrency: recordCurrency(record.shippingCostCurrency, "shippingCostCurrency"),
    shippingCost: recordAmount(record.shippingCost, "shippingCost"),
    totalCurrency: recordCurrency(record.totalCurrency, "totalCurrency"),
    total: recordAmount(record.total, "total"),
    streetAddress: recordText(record.streetAddress, "streetAddress", textLimits.addressLine),
    city: recordText(record.city, "city", textLimits.addressLine),
    state: recordText(record.state, "state", textLimits.addressLine),
    country: recordText(record.country, "country", textLimits.addressLine),
    zipCode: recordInteger(record.zipCode, "zipCode", INT32_MIN),
    items,
  };
  checkConsistent(checked);
  return checked;
}

/** nanos of a decimal literal that recordAmount accepted ("12.990000000"). */
function nanosOf(amount: string): bigint {
  return BigInt(amount.replace(".", ""));
}

/**
 * What PostgreSQL would refuse for ever, or store wrong, although each field is fine: lines must
 * run 1..n (the order_items key), one currency throughout, and the total must add up.
 */
function checkConsistent(record: OrderRecord): void {
  record.items.forEach((item, index) => {
    if (item.line !== index + 1) throw new InvalidOrderError(`items[${index}].line is ${item.line}, expected ${index + 1}`);
    if (item.unitPriceCurrency !== record.shippingCostCurrency) throw new InvalidOrderError(`items[${index}].unitPriceCurrency is ${item.unitPriceCurrency} but the order is in ${record.shippingCostCurrency}`);
  });
  if (record.totalCurrency !== record.shippingCostCurrency) throw new InvalidOrderError(`totalCurrency is ${record.totalCurrency} but the shipping cost is in ${record.shippingCostCurrency}`);
  const sum = record.items.reduce((total, item) => total + nanosOf(item.unitPrice) * BigInt(item.quantity), nanosOf(record.shippingCost));
  if (sum !== nanosOf(record.total)) throw new InvalidOrderError(`total is ${record.total} but shipping and items add up to ${formatNanos(sum)}`);
}
