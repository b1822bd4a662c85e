import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { HTTPRoute } from "./lib/gateway-api";
import { Service } from "kubernetes-models/v1/Service";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { namespaceOf, type App, type KubeObject, type RenderContext } from "./lib/app";
import { boutiqueApp, boutiquePort } from "./lib/boutique";
import { address, servicePort as servicePortOf } from "./lib/service";
import { selectorLabels } from "./lib/workload";

const { name: portName, port: containerPort } = boutiquePort("frontend");
const servicePort = servicePortOf("frontend", portName);

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

/** How users reach the shop: a NodePort or LoadBalancer Service, an Ingress or a Gateway API HTTPRoute, as the environment says. */
function externalAccess(context: RenderContext): KubeObject[] {
  const exposure = context.settings.frontendExposure;
  const namespace = namespaceOf(context, "frontend");
  if (exposure.type === "HTTPRoute") {
    const { name, namespace: gatewayNamespace, sectionName } = exposure.gateway;
    return [
      new HTTPRoute({
        metadata: { name: "frontend", namespace },
        spec: {
          parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name, namespace: gatewayNamespace, ...(sectionName ? { sectionName } : {}) }],
          hostnames: [exposure.host],
          rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "frontend", port: servicePort }] }],
        },
      }),
    ];
  }
  if (exposure.type === "Ingress") {
    const issuer = exposure.certManager ? { [exposure.certManager.issuerKind === "ClusterIssuer" ? "cert-manager.io/cluster-issuer" : "cert-manager.io/issuer"]: exposure.certManager.issuerName } : {};
    const annotations = { ...exposure.annotations, ...issuer };
    return [
      new Ingress({
        metadata: { name: "frontend", namespace, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: {
          ...(exposure.className ? { ingressClassName: exposure.className } : {}),
          ...(exposure.tlsSecretName ? { tls: [{ hosts: [exposure.host], secretName: exposure.tlsSecretName }] } : {}),
          rules: [
            {
              host: exposure.host,
              http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "frontend", port: { number: servicePort } } } }] },
            },
          ],
        },
      }),
    ];
  }
  const port = { name: portName, port: servicePort, targetPort: containerPort, protocol: "TCP" as const };
  return [
    new Service({
      metadata: { name: "frontend-external", namespace },
      spec: {
        type: exposure.type,
        selector: selectorLabels("frontend"),
        ...(exposure.type === "LoadBalancer" && exposure.loadBalancerSourceRanges ? { loadBalancerSourceRanges: exposure.loadBalancerSourceRanges } : {}),
        ports: [exposure.type === "NodePort" && exposure.nodePort ? { ...port, nodePort: exposure.nodePort } : port],
      },
    }),
  ];
}

export const frontend: App = {
  ...frontendWorkload,
  render: (context) => [...frontendWorkload.render(context), ...externalAccess(context)],
};
