import { address, boutiqueApp } from "./lib/boutique";

// checkoutservice panics at start when any of these addresses is missing.
export const checkoutservice = boutiqueApp({
  name: "checkoutservice",
  component: "checkout",
  env: () => ({
    PRODUCT_CATALOG_SERVICE_ADDR: address("productcatalogservice"),
    SHIPPING_SERVICE_ADDR: address("shippingservice"),
    PAYMENT_SERVICE_ADDR: address("paymentservice"),
    EMAIL_SERVICE_ADDR: address("emailservice"),
    CURRENCY_SERVICE_ADDR: address("currencyservice"),
    CART_SERVICE_ADDR: address("cartservice"),
  }),
});
