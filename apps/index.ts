// Every application the environments deploy, in render order. Argo CD's own objects are
// rendered after them by the pipeline (generator/argocd.ts), because they describe all of these.
// A new workload: its module here, and its record in core/contract/workloads.ts.
import { adservice } from "./adservice";
import { alloy } from "./alloy";
import { alertmanager } from "./alertmanager";
import { cartservice } from "./cartservice";
import { checkoutservice } from "./checkoutservice";
import { currencyservice } from "./currencyservice";
import { emailservice } from "./emailservice";
import { frontend } from "./frontend";
import { grafana } from "./grafana/server";
import { kubeStateMetrics } from "./kube-state-metrics";
import { loki } from "./loki";
import type { App } from "./lib/app";
import { namespaces } from "./namespaces";
import { nodeExporter } from "./node-exporter";
import { orderPersistence } from "./order-persistence";
import { otelCollector } from "./otel-collector";
import { postgres } from "./postgres";
import { networkPolicies } from "./network-policies";
import { paymentservice } from "./paymentservice";
import { prometheus } from "./prometheus";
import { productcatalogservice } from "./productcatalogservice";
import { recommendationservice } from "./recommendationservice";
import { redisCart } from "./redis-cart";
import { redisHa } from "./redis-ha";
import { shippingservice } from "./shippingservice";
import { traffic } from "./traffic/app";

export const apps: readonly App[] = [
  namespaces,
  networkPolicies,
  alertmanager,
  prometheus,
  otelCollector,
  kubeStateMetrics,
  nodeExporter,
  grafana,
  loki,
  alloy,
  redisCart,
  redisHa,
  postgres,
  orderPersistence,
  frontend,
  checkoutservice,
  productcatalogservice,
  cartservice,
  currencyservice,
  paymentservice,
  shippingservice,
  emailservice,
  recommendationservice,
  adservice,
  traffic,
];
