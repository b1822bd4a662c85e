// Loads the service definitions at runtime with @grpc/proto-loader (no generated code to keep in
// sync). The options fix the decoded shapes that messages.ts describes.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { join } from "node:path";
import { protoDir } from "./paths";

export const loaderOptions: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export interface Protos {
  EmailService: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
}

let cached: Protos | undefined;

/** Parsed once per process: several server instances (tests) share the definitions. */
export function loadProtos(dir: string = protoDir): Protos {
  if (cached && dir === protoDir) return cached;
  const definition = protoLoader.loadSync([join(dir, "hipstershop.proto"), join(dir, "health.proto")], { ...loaderOptions, includeDirs: [dir] });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    hipstershop: { EmailService: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const protos = { EmailService: root.hipstershop.EmailService, Health: root.grpc.health.v1.Health };
  if (dir === protoDir) cached = protos;
  return protos;
}
