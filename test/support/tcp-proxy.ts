// A TCP proxy in front of a real server, for outages in test time: down() closes the port (new
// connections are refused: ECONNREFUSED) or keeps it open and hangs up on every connection ("drop"),
// and cuts every open connection; up() listens again on the same port. It records when each
// connection arrived, so a test can see how often a client tried.
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Arrival time (Date.now()) of every connection the proxy accepted, also those it dropped. */
  readonly connections: number[];
  /** "refuse": nothing listens on the port; "drop": connections are accepted and closed at once. */
  down(how?: "refuse" | "drop"): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = "127.0.0.1"): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const connections: number[] = [];
  let server: Server | undefined;
  let mode: "up" | "drop" = "up";
  let port = 0;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const listening = createServer((client) => {
        connections.push(Date.now());
        if (mode === "drop") {
          client.destroy();
          return;
        }
        const upstream = connect(targetPort, host);
        const cut = (): void => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        open.add(client).add(upstream);
        for (const socket of [client, upstream]) socket.on("error", cut).on("close", cut);
        client.pipe(upstream).pipe(client);
      });
      listening.once("error", reject);
      listening.listen(port, host, () => {
        listening.off("error", reject);
        port = (listening.address() as AddressInfo).port;
        server = listening;
        resolve();
      });
    });

  const stopListening = async (): Promise<void> => {
    const listening = server;
    server = undefined;
    if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
  };

  const cutAll = (): void => {
    for (const socket of open) socket.destroy();
    open.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    connections,
    async down(how = "refuse") {
      cutAll();
      if (how === "drop") {
        mode = "drop";
        if (!server) await listen();
      } else {
        mode = "up";
        await stopListening();
      }
    },
    async up() {
      mode = "up";
      if (!server) await listen();
    },
    async close() {
      cutAll();
      await stopListening();
    },
  };
}
