-- Orders placed through checkout, one row per order, and their items.
-- Money is exact: numeric(20,9) holds Money.units + Money.nanos / 10^9 without rounding.
CREATE TABLE orders (
  order_id               text PRIMARY KEY,
  -- The customer: checkout knows only the e-mail address, so it is the user id.
  user_id                text NOT NULL,
  shipping_tracking_id   text NOT NULL,
  shipping_cost_currency char(3) NOT NULL,
  shipping_cost          numeric(20, 9) NOT NULL,
  total_currency         char(3) NOT NULL,
  -- shipping_cost + sum(unit_price * quantity), in the order's currency.
  total                  numeric(20, 9) NOT NULL,
  street_address         text NOT NULL,
  city                   text NOT NULL,
  state                  text NOT NULL,
  country                text NOT NULL,
  zip_code               integer NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_items (
  order_id            text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  line                integer NOT NULL,
  product_id          text NOT NULL,
  quantity            integer NOT NULL CHECK (quantity > 0),
  unit_price_currency char(3) NOT NULL,
  unit_price          numeric(20, 9) NOT NULL,
  PRIMARY KEY (order_id, line)
);

-- The architecture overview's indexes.
CREATE INDEX idx_orders_created_at ON orders (created_at);
CREATE INDEX idx_orders_user_id ON orders (user_id);
CREATE INDEX idx_order_items_order_id ON order_items (order_id);
CREATE INDEX idx_order_items_product_id ON order_items (product_id);
