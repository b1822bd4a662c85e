// grpc.health.v1.Health/Check: SERVING once the schema is migrated and the server listens,
// NOT_SERVING before that and from the moment shutdown starts (so Kubernetes stops routing to us).
import * as grpc from "@grpc/grpc-js";

export type ServingStatus = "SERVING" | "NOT_SERVING";

/** "" asks about the server as a whole; the named service is the one we implement. */
const KNOWN_SERVICES = new Set(["", "hipstershop.EmailService"]);

export class Health {
  status: ServingStatus = "NOT_SERVING";

  implementation(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<{ status: string }>) => {
        const service = call.request.service;
        // The health protocol's answer for a service this server does not know.
        if (!KNOWN_SERVICES.has(service)) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
        else callback(null, { status: this.status });
      },
    };
  }
}
