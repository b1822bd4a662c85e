import { boutiqueApp } from "./lib/boutique";
import { address } from "./lib/service";

// checkoutservice panics at start when any of these addresses is missing.
export const checkoutservice = boutiqueApp({
  name: "checkoutservice",
  component: "checkout",
  env: () => ({
    PRODUCT_CATALOG_SERVICE_ADDR: address("checkoutservice", "productcatalogservice"),
    SHIPPING_SERVICE_ADDR: address("checkoutservice", "shippingservice"),
    PAYMENT_SERVICE_ADDR: address("checkoutservice", "paymentservice"),
    // Order confirmations go through order persistence, which stores the order and forwards the call.
    EMAIL_SERVICE_ADDR: address("checkoutservice", "order-persistence"),
    CURRENCY_SERVICE_ADDR: address("checkoutservice", "currencyservice"),
    CART_SERVICE_ADDR: address("checkoutservice", "cartservice"),
  }),
});
