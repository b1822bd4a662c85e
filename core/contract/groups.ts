// App groups are data: each is one Argo CD Application and one sync wave. A new group (the
// monitoring stack, traffic) is a new entry here; records name their group.
/** App groups, in sync order: one Argo CD Application each; its wave orders the groups. */
export const appGroups = {
  platform: { wave: 0, description: "Namespaces with Pod Security admission labels; default-deny NetworkPolicies and the allowed flows" },
  data: { wave: 1, description: "Carts (Redis) and orders (PostgreSQL, order persistence)" },
  "online-boutique": { wave: 2, description: "The ten Online Boutique services" },
} as const satisfies Record<string, { wave: number; description: string }>;
export type AppGroupName = keyof typeof appGroups;
