/**
 * OKX v5 public WebSocket dialect: `/ws/v5/public` (and `/business`),
 * `{"op":"subscribe"|"unsubscribe","args":[{"channel":..,"instId":..}]}` answered per
 * argument with an `event` message (or error 60018 for an unknown instrument), text
 * `ping` answered `pong`, and the 30 s cut of a connection with no traffic.
 * Topics are `channel/instId` (`channel/instType` for liquidation-orders).
 */
import type { SimConnection } from '../../../../sim/connection.js';
import type { ProtocolContext, SnapshotEndpoint, VenueProtocol } from '../../../../sim/protocol.js';
import type { Frame, RestRequest } from '../../../../sim/types.js';

interface OkxArg {
  channel?: unknown;
  instId?: unknown;
  instType?: unknown;
  instFamily?: unknown;
}

const PATH_RE = /^\/ws\/v5\/(public|business)$/;
const IDLE_CHECK_MS = 1000;

export function okxTopic(arg: OkxArg): string | undefined {
  if (typeof arg.channel !== 'string') return undefined;
  const scope = arg.instId ?? arg.instFamily ?? arg.instType;
  return typeof scope === 'string' ? `${arg.channel}/${scope}` : undefined;
}

export class OkxProtocol implements VenueProtocol {
  readonly venue = 'okx' as const;

  wsUrl(base: string): string {
    return `${base}/ws/v5/public`;
  }

  accepts(url: URL): boolean {
    return PATH_RE.test(url.pathname);
  }

  open(conn: SimConnection, ctx: ProtocolContext): void {
    const idleMs = ctx.limits.okxIdleTimeoutMs ?? 30_000;
    conn.every(Math.min(IDLE_CHECK_MS, idleMs), () => {
      // A stalled server is the client's problem to notice; it does not rescue it by closing.
      if (conn.stalled) return;
      if (Date.now() - Math.max(conn.lastClientMessageAt, conn.lastSentAt) > idleMs) conn.close(4004, 'No data received in 30s.');
    });
  }

  message(conn: SimConnection, text: string, ctx: ProtocolContext): void {
    if (text === 'ping') {
      conn.send('pong');
      return;
    }
    let req: { op?: unknown; args?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      this.error(conn, '60012', `Invalid request: ${text.slice(0, 100)}`);
      return;
    }
    const id = typeof req.id === 'string' ? { id: req.id } : {};
    if ((req.op !== 'subscribe' && req.op !== 'unsubscribe') || !Array.isArray(req.args)) {
      this.error(conn, '60012', `Invalid request: ${text.slice(0, 100)}`, id);
      return;
    }
    for (const arg of req.args as OkxArg[]) {
      const topic = okxTopic(arg);
      if (!topic) {
        this.error(conn, '60012', `Invalid request: ${JSON.stringify(arg)}`, id);
        continue;
      }
      if (req.op === 'subscribe' && !ctx.feed.knows(topic)) {
        this.error(conn, '60018', `Wrong URL or channel:${String(arg.channel)},instId:${String(arg.instId ?? arg.instType)} doesn't exist.`, id);
        continue;
      }
      conn.send(JSON.stringify({ ...id, event: req.op, arg, connId: connId(conn) }));
      if (req.op === 'subscribe') ctx.subscribe(conn, topic);
      else ctx.unsubscribe(conn, topic);
    }
  }

  render(_conn: SimConnection, frame: Frame): string {
    return frame.text;
  }

  classify(text: string): Pick<Frame, 'topic' | 'kind'> | undefined {
    if (!text.startsWith('{')) return undefined;
    const msg = JSON.parse(text) as { arg?: OkxArg; data?: unknown; action?: unknown; event?: unknown };
    if (msg.event !== undefined || !msg.arg || !Array.isArray(msg.data)) return undefined;
    const topic = okxTopic(msg.arg);
    if (!topic) return undefined;
    const first = msg.data[0] as { seqId?: unknown; prevSeqId?: unknown } | undefined;
    const heartbeat = first?.seqId !== undefined && first.seqId === first.prevSeqId;
    const diff = String(msg.arg.channel).startsWith('books') && msg.action === 'update' && !heartbeat;
    return { topic, kind: diff ? 'book-diff' : 'other' };
  }

  errorBody(status: number): string {
    if (status === 429) return JSON.stringify({ code: '50011', msg: 'Too Many Requests', data: [] });
    return JSON.stringify({ code: '50001', msg: `simulated HTTP ${status}`, data: [] });
  }

  snapshotEndpoint(req: RestRequest): SnapshotEndpoint | undefined {
    const instId = req.params.get('instId');
    if (req.path !== '/api/v5/market/books' || !instId) return undefined;
    return { key: `${req.path}?instId=${instId}`, isBookTopic: (topic) => topic.startsWith('books') && topic.endsWith(`/${instId}`) };
  }

  private error(conn: SimConnection, code: string, msg: string, id: { id?: string } = {}): void {
    conn.send(JSON.stringify({ ...id, event: 'error', code, msg, connId: connId(conn) }));
  }
}

function connId(conn: SimConnection): string {
  return `sim${conn.id.toString(16).padStart(5, '0')}`;
}
