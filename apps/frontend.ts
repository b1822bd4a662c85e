import type { IProbe } from "kubernetes-models/v1/Probe";
import type { App } from "./lib/app";
import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { externalAccess } from "./lib/exposure";
import { address } from "./lib/service";

const { name: portName, port: containerPort } = boutiquePort("frontend");

// The health handler needs a session cookie, or the frontend creates a session per probe.
function healthProbe(sessionId: string): IProbe {
  return {
    initialDelaySeconds: 10,
    httpGet: { path: "/_healthz", port: containerPort, httpHeaders: [{ name: "Cookie", value: `shop_session-id=${sessionId}` }] },
  };
}

const frontendWorkload = boutiqueApp({
  name: "frontend",
  component: "web",
  // The frontend panics at start when any of these addresses is missing.
  env: () => ({
    PRODUCT_CATALOG_SERVICE_ADDR: address("frontend", "productcatalogservice"),
    CURRENCY_SERVICE_ADDR: address("frontend", "currencyservice"),
    CART_SERVICE_ADDR: address("frontend", "cartservice"),
    RECOMMENDATION_SERVICE_ADDR: address("frontend", "recommendationservice"),
    SHIPPING_SERVICE_ADDR: address("frontend", "shippingservice"),
    CHECKOUT_SERVICE_ADDR: address("frontend", "checkoutservice"),
    AD_SERVICE_ADDR: address("frontend", "adservice"),
    // Required by v0.10.x for the optional shopping assistant, which is not deployed (see the
    // contract's undeployedUpstreamAddresses); the connection is lazy, so nothing dials it.
    SHOPPING_ASSISTANT_SERVICE_ADDR: "shoppingassistantservice:80",
    ENABLE_PROFILER: "0",
  }),
  readinessProbe: healthProbe("x-readiness-probe"),
  livenessProbe: healthProbe("x-liveness-probe"),
});

export const frontend: App = {
  ...frontendWorkload,
  // How users reach the shop: as the environment's settings say.
  render: (context) => [...frontendWorkload.render(context), ...externalAccess(context, "frontend", portName, context.settings.frontendExposure)],
};
