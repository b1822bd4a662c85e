// The fetcher worker of the k6 stand-in: performs each request the VU hands it (one at a time,
// with node:http; no redirects, no cookies: the VU's http stand-in does those) and wakes the VU.
import { Agent, request } from "node:http";
import { workerData, type MessagePort } from "node:worker_threads";
import type { WireRequest, WireResponse } from "./report";

const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer };
const answered = new Int32Array(signal);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function perform(wire: WireRequest): Promise<WireResponse> {
  return new Promise((resolve) => {
    const headers = { ...wire.headers, ...(wire.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(wire.body)) }) };
    const outgoing = request(wire.url, { method: wire.method, headers, agent, timeout: wire.timeoutMs }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers as Record<string, string | string[]>, body: Buffer.concat(chunks).toString("utf8") }));
      incoming.on("error", (error) => resolve({ status: 0, headers: {}, body: "", error: error.message }));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error(`request timeout after ${wire.timeoutMs} ms`)));
    outgoing.on("error", (error) => resolve({ status: 0, headers: {}, body: "", error: error.message }));
    outgoing.end(wire.body);
  });
}

port.on("message", async (wire: WireRequest) => {
  port.postMessage(await perform(wire));
  Atomics.store(answered, 0, 1);
  Atomics.notify(answered, 0);
});
