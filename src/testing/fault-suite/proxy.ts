/**
 * A loopback TCP proxy between the collector and nats-server: `cut()` closes every
 * connection through it and refuses new ones (the broker unreachable from the
 * collector, while storage and the driver still reach it directly); `restore()` listens again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly cut: boolean;
  /** Connections accepted so far. */
  readonly accepted: number;
  cutOff(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(listenPort: number, targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let cut = false;
  let accepted = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        const upstream = connect(targetPort, host);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.once('close', () => sockets.delete(sock));
          sock.on('error', () => undefined);
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(listenPort, host, () => {
        server = s;
        resolve();
      });
    });
  const unlisten = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    port: listenPort,
    get cut() {
      return cut;
    },
    get accepted() {
      return accepted;
    },
    async cutOff() {
      cut = true;
      await unlisten();
    },
    async restore() {
      if (server) return;
      await listen();
      cut = false;
    },
    close: unlisten,
  };
}
