// Forwards SendOrderConfirmation to the real emailservice once the order is safe. Checkout only
// logs a failed confirmation call, so a failure here is logged and counted, never returned: the
// order is already stored or spooled, and failing the RPC would tell checkout nothing it can act on.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./log";
import type { SendOrderConfirmationRequest } from "./messages";
import type { Metrics } from "./metrics";
import { loadProtos } from "./proto";

/** The client proto-loader builds at runtime, typed for the one method we call. */
export interface EmailServiceClient extends grpc.Client {
  SendOrderConfirmation(request: SendOrderConfirmationRequest, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
}

export type ForwardOutcome = "sent" | "failed" | "disabled";

export class EmailForwarder {
  private readonly client: EmailServiceClient | undefined;

  constructor(
    address: string | undefined,
    private readonly timeoutMs: number,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    if (address === undefined) {
      logger.warn("EMAIL_SERVICE_ADDR is not set: order confirmations are stored but not e-mailed");
      return;
    }
    const { EmailService } = loadProtos();
    this.client = new EmailService(address, grpc.credentials.createInsecure()) as unknown as EmailServiceClient;
  }

  forward(request: SendOrderConfirmationRequest): Promise<ForwardOutcome> {
    const client = this.client;
    if (!client) return Promise.resolve("disabled");
    const orderId = request.order?.order_id;
    return new Promise((resolve) => {
      client.SendOrderConfirmation(request, { deadline: Date.now() + this.timeoutMs }, (error) => {
        if (error) {
          this.metrics.emailForwardFailures.inc();
          this.logger.warn("forwarding to emailservice failed", { orderId, code: grpc.status[error.code], error: error.details || error.message });
          resolve("failed");
        } else {
          resolve("sent");
        }
      });
    });
  }

  close(): void {
    this.client?.close();
  }
}
