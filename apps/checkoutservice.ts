import { address, boutiqueApp } from "./lib/boutique";

// checkoutservice panics at start when any of these addresses is missing.
export const checkoutservice = boutiqueApp({
  name: "checkoutservice",
  component: "checkout",
  env: () => ({
    PRODUCT_CATALOG_SERVICE_ADDR: address("productcatalogservice"),
    SHIPPING_SERVICE_ADDR: address("shippingservice"),
    PAYMENT_SERVICE_ADDR: address("paymentservice"),
    // Order confirmations go through order persistence, which stores the order and forwards the call.
    EMAIL_SERVICE_ADDR: address("order-persistence"),
    CURRENCY_SERVICE_ADDR: address("currencyservice"),
    CART_SERVICE_ADDR: address("cartservice"),
  }),
});
