/** A plain `ws` client that records every text frame, for simulator tests. */
import { rawText } from '../../src/collector/feeds/feed.js';
import WebSocket from 'ws';

export interface TestClient {
  ws: WebSocket;
  messages: string[];
  json<T = Record<string, unknown>>(): T[];
  send(text: string | object): void;
  /** Resolves when `pred` holds over the messages so far (polls every 5 ms). */
  until(what: string, pred: (messages: string[]) => boolean, timeoutMs?: number): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options);
  const messages: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(rawText(data));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    json: <T>() => messages.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m) as T),
    send: (text) => ws.send(typeof text === 'string' ? text : JSON.stringify(text)),
    until: (what, pred, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = (): void => {
          if (pred(messages)) return resolve();
          if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what} (${messages.length} messages)`));
          setTimeout(poll, 5);
        };
        poll();
      }),
    closed,
    close: async () => {
      if (ws.readyState !== WebSocket.CLOSED) {
        ws.close();
        await closed;
      }
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
