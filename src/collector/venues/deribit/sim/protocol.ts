/**
 * Deribit JSON-RPC over WebSocket (`/ws/api/v2`): `public/subscribe` and
 * `public/unsubscribe`, `public/set_heartbeat` (then a `test_request` every interval;
 * a connection that has not answered the previous one with `public/test` is closed),
 * `public/test`, and any other `public/...` method answered by the REST handler
 * (e.g. `public/get_volatility_index_data`). Topics are channel names.
 */
import type { SimConnection } from '../../../../sim/connection.js';
import type { ProtocolContext, SnapshotEndpoint, VenueProtocol } from '../../../../sim/protocol.js';
import type { Frame } from '../../../../sim/types.js';

interface DeribitConnState {
  stopHeartbeat: (() => void) | undefined;
  awaitingTest: boolean;
}
interface RpcRequest {
  id?: unknown;
  method?: unknown;
  params?: Record<string, unknown>;
}

export const DERIBIT_API_VERSION = '1.2.26';

/** The JSON-RPC response envelope with Deribit's timing fields (microseconds). */
export function rpcResult(id: unknown, result: unknown): Record<string, unknown> {
  const us = Date.now() * 1000;
  return { jsonrpc: '2.0', id, result, usIn: us, usOut: us + 7, usDiff: 7, testnet: false };
}

export function rpcError(id: unknown, code: number, message: string): Record<string, unknown> {
  const us = Date.now() * 1000;
  return { jsonrpc: '2.0', id, error: { code, message }, usIn: us, usOut: us + 3, usDiff: 3, testnet: false };
}

export class DeribitProtocol implements VenueProtocol {
  readonly venue = 'deribit' as const;

  wsUrl(base: string): string {
    return `${base}/ws/api/v2`;
  }

  accepts(url: URL): boolean {
    return url.pathname === '/ws/api/v2';
  }

  open(conn: SimConnection): void {
    conn.venueState = { stopHeartbeat: undefined, awaitingTest: false } satisfies DeribitConnState;
  }

  message(conn: SimConnection, text: string, ctx: ProtocolContext): void {
    let req: RpcRequest;
    try {
      req = JSON.parse(text) as RpcRequest;
    } catch {
      conn.send(JSON.stringify(rpcError(null, -32700, 'Parse error')));
      return;
    }
    const id = req.id ?? null;
    const params = req.params ?? {};
    const reply = (result: unknown): void => void conn.send(JSON.stringify(rpcResult(id, result)));
    switch (req.method) {
      case 'public/subscribe': {
        const channels = stringList(params.channels).filter((c) => ctx.feed.knows(c));
        reply(channels);
        for (const c of channels) ctx.subscribe(conn, c);
        return;
      }
      case 'public/unsubscribe': {
        const channels = stringList(params.channels).filter((c) => conn.topics.has(c));
        for (const c of channels) ctx.unsubscribe(conn, c);
        reply(channels);
        return;
      }
      case 'public/unsubscribe_all':
        for (const c of [...conn.topics]) ctx.unsubscribe(conn, c);
        reply('ok');
        return;
      case 'public/set_heartbeat':
        this.setHeartbeat(conn, params.interval, ctx, id);
        return;
      case 'public/disable_heartbeat':
        this.state(conn).stopHeartbeat?.();
        this.state(conn).stopHeartbeat = undefined;
        reply('ok');
        return;
      case 'public/test':
        this.state(conn).awaitingTest = false;
        reply({ version: DERIBIT_API_VERSION });
        return;
      default:
        if (typeof req.method === 'string' && req.method.startsWith('public/')) {
          void this.restOverSocket(conn, req.method, params, id, ctx);
          return;
        }
        conn.send(JSON.stringify(rpcError(id, -32601, 'Method not found')));
    }
  }

  render(_conn: SimConnection, frame: Frame): string {
    return frame.text;
  }

  classify(text: string): Pick<Frame, 'topic' | 'kind'> | undefined {
    const msg = JSON.parse(text) as { method?: unknown; params?: { channel?: unknown; data?: { type?: unknown } } };
    if (msg.method !== 'subscription' || typeof msg.params?.channel !== 'string') return undefined;
    const topic = msg.params.channel;
    return { topic, kind: topic.startsWith('book.') && msg.params.data?.type === 'change' ? 'book-diff' : 'other' };
  }

  errorBody(status: number): string {
    if (status === 429) return JSON.stringify(rpcError(null, 10028, 'too_many_requests'));
    return JSON.stringify(rpcError(null, 11094, `simulated HTTP ${status}`));
  }

  snapshotEndpoint(): SnapshotEndpoint | undefined {
    // Deribit pushes its book snapshot on subscribe; no REST snapshot takes part in sync.
    return undefined;
  }

  private state(conn: SimConnection): DeribitConnState {
    return conn.venueState as DeribitConnState;
  }

  private setHeartbeat(conn: SimConnection, interval: unknown, ctx: ProtocolContext, id: unknown): void {
    const min = ctx.limits.deribitMinHeartbeatSec ?? 10;
    if (typeof interval !== 'number' || !(interval >= min)) {
      conn.send(JSON.stringify(rpcError(id, -32602, `Invalid params: interval must be a number >= ${min}`)));
      return;
    }
    const state = this.state(conn);
    state.stopHeartbeat?.();
    state.awaitingTest = false;
    conn.send(JSON.stringify(rpcResult(id, 'ok')));
    state.stopHeartbeat = conn.every(interval * 1000, () => {
      if (conn.stalled) return;
      if (state.awaitingTest) {
        conn.close(1000, 'heartbeat test_request not answered');
        return;
      }
      state.awaitingTest = true;
      conn.send(JSON.stringify({ jsonrpc: '2.0', method: 'heartbeat', params: { type: 'test_request' } }));
    });
  }

  private async restOverSocket(conn: SimConnection, method: string, params: Record<string, unknown>, id: unknown, ctx: ProtocolContext): Promise<void> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') query.set(k, String(v));
      else if (v !== undefined && v !== null) query.set(k, JSON.stringify(v));
    }
    const reply = await ctx.rest({ path: `/api/v2/${method}`, params: query });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(reply.body) as Record<string, unknown>;
    } catch {
      body = rpcError(id, 11094, 'internal_server_error');
    }
    conn.send(JSON.stringify({ ...body, id }));
  }
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
