// App groups are data: each is one Argo CD Application and one sync wave. A new group (the
// monitoring stack, traffic) is a new entry here; records name their group.
/** App groups, in sync order: one Argo CD Application each; its wave orders the groups. */
export const appGroups = {
  platform: { wave: 0, description: "Namespaces with Pod Security admission labels; default-deny NetworkPolicies and the allowed flows" },
  // Before the workloads it watches: their first minutes are seen, and alerts can fire from the start.
  monitoring: { wave: 1, description: "Metrics and alerting: Prometheus, Alertmanager, exporters, the OpenTelemetry collector" },
  data: { wave: 2, description: "Carts (Redis) and the order database (PostgreSQL, backups)" },
  "online-boutique": { wave: 3, description: "The ten Online Boutique services" },
  // After the shop, which serves without it: checkout only logs a failed order confirmation. An
  // order tee that cannot start (image not yet published, say) must not hold the shop back.
  orders: { wave: 4, description: "Order persistence: stores checkout's confirmations, forwards them to emailservice" },
  // Last: it drives the shop, and the shop (with its orders) must be up when it starts.
  traffic: { wave: 5, description: "Simulated users (k6): a run every 15 minutes and one right after the first sync" },
} as const satisfies Record<string, { wave: number; description: string }>;
export type AppGroupName = keyof typeof appGroups;
