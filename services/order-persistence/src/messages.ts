// The decoded shapes of proto/hipstershop.proto as @grpc/proto-loader delivers them with
// keepCase, longs: String, enums: String, defaults: true: snake_case names, int64 as a decimal
// string, absent sub-messages as null. Hand-written because they are few and stable.
export interface Money {
  currency_code: string;
  /** int64: a decimal string when decoded; callers may also pass a number when encoding. */
  units: string | number;
  nanos: number;
}

export interface Address {
  street_address: string;
  city: string;
  state: string;
  country: string;
  zip_code: number;
}

export interface CartItem {
  product_id: string;
  quantity: number;
}

export interface OrderItem {
  item: CartItem | null;
  /** Price of one unit. */
  cost: Money | null;
}

export interface OrderResult {
  order_id: string;
  shipping_tracking_id: string;
  shipping_cost: Money | null;
  shipping_address: Address | null;
  items: OrderItem[];
}

export interface SendOrderConfirmationRequest {
  email: string;
  order: OrderResult | null;
}
