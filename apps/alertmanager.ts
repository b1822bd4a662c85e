// Alertmanager: routes the alerts Prometheus sends to the receivers the environment's settings
// name. Several replicas form one cluster (gossip on 9094, TCP and UDP, each pod listed as a
// peer by its stable name), so a notification goes out once and a silence holds everywhere.
// The configuration is rendered from settings into a ConfigMap; every credential is a key of the
// Secret alertmanager-receivers, mounted as files and referenced by the *_file fields: no secret
// value is rendered. The rendered configuration stays inside what both Alertmanager 0.34 (the
// image) and 0.25 (the amtool the tests run) accept: webhook URLs are plain settings (url_file is
// 0.26+), their tokens go in http_config.authorization.credentials_file.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { droppedWatchdogReceiver, portOf, secrets } from "../core/contract/index";
import type { Settings } from "../core/settings/schema";
import { replicaCount } from "../core/settings/topology";
import { toYaml } from "../core/yaml/write";
import { namespaceOf, workloadApp } from "./lib/app";
import { clusterService, headlessService } from "./lib/service";
import { configChecksum, httpProbe, podHost, statefulSet } from "./lib/workload";

const webPort = portOf("alertmanager", "web").port;
const clusterPort = portOf("alertmanager", "cluster").port;
const headless = "alertmanager-headless";
const configDir = "/etc/alertmanager/config";
const configFile = "alertmanager.yml";
const secretsDir = "/etc/alertmanager/secrets";
const storageDir = "/alertmanager";

type AlertmanagerSettings = Settings["monitoring"]["alertmanager"];
type Receiver = AlertmanagerSettings["receivers"][string];

const secretFile = (key: string) => `${secretsDir}/${key}`;

function receiverConfig(name: string, receiver: Receiver): Record<string, unknown> {
  const { webhook, slack, email } = receiver;
  return {
    name,
    ...(webhook
      ? { webhook_configs: [{ url: webhook.url, send_resolved: true, ...(webhook.bearerTokenKey ? { http_config: { authorization: { credentials_file: secretFile(webhook.bearerTokenKey) } } } : {}) }] }
      : {}),
    ...(slack ? { slack_configs: [{ api_url_file: secretFile(slack.apiUrlKey), channel: slack.channel, send_resolved: true }] } : {}),
    ...(email
      ? {
          email_configs: [
            {
              to: email.to,
              from: email.from,
              smarthost: email.smarthost,
              ...(email.username ? { auth_username: email.username } : {}),
              ...(email.passwordKey ? { auth_password_file: secretFile(email.passwordKey) } : {}),
              send_resolved: true,
            },
          ],
        }
      : {}),
  };
}

/** Keys of the receivers' Secret the configuration reads (none: the Secret is not mounted). */
function receiverSecretKeys(settings: AlertmanagerSettings): string[] {
  const keys = Object.values(settings.receivers).flatMap(({ webhook, slack, email }) => [webhook?.bearerTokenKey, slack?.apiUrlKey, email?.passwordKey]);
  return [...new Set(keys.filter((key): key is string => key !== undefined))].sort();
}

/** alertmanager.yml for the environment's settings. */
function alertmanagerConfig(settings: AlertmanagerSettings): Record<string, unknown> {
  const watchdogReceiver = settings.watchdogReceiver ?? droppedWatchdogReceiver;
  return {
    route: {
      receiver: settings.defaultReceiver,
      group_by: settings.groupBy,
      group_wait: settings.groupWait,
      group_interval: settings.groupInterval,
      repeat_interval: settings.repeatInterval,
      routes: [
        // The Watchdog first, and only to its own receiver: a dead man's switch expects it every few minutes.
        { matchers: ['alertname="Watchdog"'], receiver: watchdogReceiver, group_wait: "0s", group_interval: "1m", repeat_interval: "5m" },
        ...settings.routes.map((route) => ({ matchers: route.matchers, receiver: route.receiver, ...(route.continue ? { continue: true } : {}) })),
      ],
    },
    inhibit_rules: settings.inhibit.map((rule) => ({ source_matchers: rule.source, target_matchers: rule.target, equal: rule.equal })),
    receivers: [
      ...Object.entries(settings.receivers).map(([name, receiver]) => receiverConfig(name, receiver)),
      ...(settings.watchdogReceiver === null ? [{ name: droppedWatchdogReceiver }] : []),
    ],
  };
}

export const alertmanager = workloadApp({
  name: "alertmanager",
  component: "alerting",
  workloads: ["alertmanager"],
  render: (context) => {
    const settings = context.settings.monitoring.alertmanager;
    const namespace = namespaceOf(context, "alertmanager");
    const config = toYaml(alertmanagerConfig(settings), "# Rendered from settings.monitoring.alertmanager (apps/alertmanager.ts).");
    const keys = receiverSecretKeys(settings);
    const peers = Array.from({ length: replicaCount(context.settings, "alertmanager") }, (_, ordinal) => `--cluster.peer=${podHost(context, "alertmanager", `alertmanager-${ordinal}`, headless)}:${clusterPort}`);
    return [
      new ConfigMap({ metadata: { name: "alertmanager-config", namespace }, data: { [configFile]: config } }),
      ...statefulSet(context, {
        name: "alertmanager",
        serviceName: headless,
        // Peers find each other by name: all pods start at once, none waits for another to be ready.
        podManagementPolicy: "Parallel",
        // A new configuration rolls the pods (Alertmanager reads it at start).
        podAnnotations: configChecksum(config),
        containers: [
          {
            name: "alertmanager",
            args: [
              `--config.file=${configDir}/${configFile}`,
              `--storage.path=${storageDir}`,
              `--web.listen-address=:${webPort}`,
              `--cluster.listen-address=0.0.0.0:${clusterPort}`,
              `--cluster.advertise-address=$(POD_IP):${clusterPort}`,
              ...peers,
            ],
            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
            readinessProbe: httpProbe("/-/ready", webPort, { periodSeconds: 10 }),
            livenessProbe: httpProbe("/-/healthy", webPort, { periodSeconds: 20, initialDelaySeconds: 10 }),
            volumeMounts: [
              { name: "config", mountPath: configDir, readOnly: true },
              ...(keys.length > 0 ? [{ name: "receiver-secrets", mountPath: secretsDir, readOnly: true }] : []),
              { name: "alertmanager-storage", mountPath: storageDir },
            ],
          },
        ],
        volumes: [
          { name: "config", configMap: { name: "alertmanager-config" } },
          ...(keys.length > 0 ? [{ name: "receiver-secrets", secret: { secretName: secrets.alertmanagerReceivers.name, items: keys.map((key) => ({ key, path: key })) } }] : []),
        ],
      }),
      headlessService(context, "alertmanager", ["web", "cluster"], headless),
      clusterService(context, "alertmanager", "web"),
    ];
  },
});
