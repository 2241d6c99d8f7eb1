/**
 * A loopback TCP proxy in front of a peer, which the driver turns off in two ways:
 * `cutOff()` closes every connection and refuses new ones (the peer unreachable: the
 * collector's NATS, while storage and the driver still reach it directly), `blackhole()`
 * closes every connection and then accepts new ones but never answers (the peer hanging:
 * a client learns it only from its own timeouts). `restore()` forwards again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  cutOff(): Promise<void>;
  blackhole(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(listenPort: number, targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let hole = false;
  let accepted = 0;
  const track = (sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        track(client);
        if (hole) return; // held open, never forwarded, until restore() closes it
        const upstream = connect(targetPort, host);
        track(upstream);
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
  const dropAll = () => {
    for (const sock of sockets) sock.destroy();
    sockets.clear();
  };
  const unlisten = async () => {
    const s = server;
    server = undefined;
    dropAll();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    port: listenPort,
    get accepted() {
      return accepted;
    },
    cutOff: unlisten,
    async blackhole() {
      hole = true;
      dropAll();
      if (!server) await listen();
    },
    async restore() {
      hole = false;
      dropAll(); // connections held by the black hole are closed: the client reconnects
      if (!server) await listen();
    },
    close: unlisten,
  };
}
