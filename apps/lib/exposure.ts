// How users outside the cluster reach a workload's external port, as an environment's settings
// say: a NodePort or LoadBalancer Service, an Ingress, or a Gateway API HTTPRoute. The frontend
// uses it (settings.frontendExposure); so will any other workload whose record marks a port
// external (policy NET005 refuses exposure of any other port).
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { Service } from "kubernetes-models/v1/Service";
import { portOf, type WorkloadName } from "../../core/contract/index";
import type { Exposure } from "../../core/settings/schema";
import { namespaceOf, type KubeObject, type RenderContext } from "./app";
import { HTTPRoute } from "./gateway-api";
import { servicePort as servicePortOf } from "./service";
import { selectorLabels } from "./workload";

export type { Exposure } from "../../core/settings/schema";

/** The objects that expose `port` of `workload` (its Service, named after the workload, carries it inside the cluster). */
export function externalAccess(context: RenderContext, workload: WorkloadName, port: string, exposure: Exposure): KubeObject[] {
  const namespace = namespaceOf(context, workload);
  const servicePort = servicePortOf(workload, port);
  if (exposure.type === "HTTPRoute") {
    const { name, namespace: gatewayNamespace, sectionName } = exposure.gateway;
    return [
      new HTTPRoute({
        metadata: { name: workload, namespace },
        spec: {
          parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name, namespace: gatewayNamespace, ...(sectionName ? { sectionName } : {}) }],
          hostnames: [exposure.host],
          rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: workload, port: servicePort }] }],
        },
      }),
    ];
  }
  if (exposure.type === "Ingress") {
    const issuer = exposure.certManager ? { [exposure.certManager.issuerKind === "ClusterIssuer" ? "cert-manager.io/cluster-issuer" : "cert-manager.io/issuer"]: exposure.certManager.issuerName } : {};
    const annotations = { ...exposure.annotations, ...issuer };
    return [
      new Ingress({
        metadata: { name: workload, namespace, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: {
          ...(exposure.className ? { ingressClassName: exposure.className } : {}),
          ...(exposure.tlsSecretName ? { tls: [{ hosts: [exposure.host], secretName: exposure.tlsSecretName }] } : {}),
          rules: [{ host: exposure.host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: workload, port: { number: servicePort } } } }] } }],
        },
      }),
    ];
  }
  const servicePortEntry = { name: port, port: servicePort, targetPort: portOf(workload, port).port, protocol: "TCP" as const };
  return [
    new Service({
      metadata: { name: `${workload}-external`, namespace },
      spec: {
        type: exposure.type,
        selector: selectorLabels(workload),
        ...(exposure.type === "LoadBalancer" && exposure.loadBalancerSourceRanges ? { loadBalancerSourceRanges: exposure.loadBalancerSourceRanges } : {}),
        ports: [exposure.type === "NodePort" && exposure.nodePort ? { ...servicePortEntry, nodePort: exposure.nodePort } : servicePortEntry],
      },
    }),
  ];
}
