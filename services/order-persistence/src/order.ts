// From the wire message to the rows we store. All validation happens here, before PostgreSQL sees
// anything, so that a database error always means "the database has a problem" (→ spool and
// retry) and never "this order can never be stored" (→ INVALID_ARGUMENT to the caller).
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

const CURRENCY = /^[A-Z]{3}$/;
const INT32_MAX = 2_147_483_647;

/** PostgreSQL text cannot hold NUL; catching it here keeps it an input error. */
function textField(value: string, where: string): string {
  if (typeof value !== "string") throw new InvalidOrderError(`${where} is not a string`);
  if (value.includes("\u0000")) throw new InvalidOrderError(`${where} contains a NUL character`);
  return value;
}

function currencyOf(money: Money, where: string): string {
  const code = money.currency_code;
  // char(3) would silently pad a shorter code; checkout only ever sends ISO 4217 codes.
  if (!CURRENCY.test(code)) throw new InvalidOrderError(`${where}.currency_code is not an ISO 4217 code: ${JSON.stringify(code)}`);
  return code;
}

/**
 * Validates a SendOrderConfirmation request and computes the order total:
 * total = shipping_cost + Σ unit_price × quantity, all in the shipping cost's currency.
 * Throws InvalidOrderError for anything that cannot be stored exactly.
 */
export function toOrderRecord(request: SendOrderConfirmationRequest): OrderRecord {
  const order = request.order;
  if (!order) throw new InvalidOrderError("order is missing");
  const orderId = textField(order.order_id, "order.order_id");
  if (orderId === "") throw new InvalidOrderError("order.order_id is empty");
  if (!order.shipping_cost) throw new InvalidOrderError("order.shipping_cost is missing");
  if (!order.shipping_address) throw new InvalidOrderError("order.shipping_address is missing");

  const currency = currencyOf(order.shipping_cost, "order.shipping_cost");
  const shippingNanos = moneyToNanos(order.shipping_cost, "order.shipping_cost");
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
    const unitNanos = moneyToNanos(entry.cost, `${where}.cost`);
    totalNanos = checkRange(totalNanos + unitNanos * BigInt(quantity), "order total");
    items.push({ line: index + 1, productId: textField(entry.item.product_id, `${where}.item.product_id`), quantity, unitPriceCurrency: itemCurrency, unitPrice: formatNanos(unitNanos) });
  }

  const address = order.shipping_address;
  const zipCode = address.zip_code;
  if (!Number.isInteger(zipCode)) throw new InvalidOrderError("order.shipping_address.zip_code is not an integer");
  return {
    orderId,
    userId: textField(request.email, "email"),
    shippingTrackingId: textField(order.shipping_tracking_id, "order.shipping_tracking_id"),
    shippingCostCurrency: currency,
    shippingCost: formatNanos(shippingNanos),
    totalCurrency: currency,
    total: formatNanos(totalNanos),
    streetAddress: textField(address.street_address, "order.shipping_address.street_address"),
    city: textField(address.city, "order.shipping_address.city"),
    state: textField(address.state, "order.shipping_address.state"),
    country: textField(address.country, "order.shipping_address.country"),
    zipCode,
    items,
  };
}
