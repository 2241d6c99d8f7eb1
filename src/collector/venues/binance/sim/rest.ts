/** Pieces of the Binance REST surface shared by spot and USDⓈ-M. */
import { jsonReply, type RestReply } from '../../../../sim/types.js';

/**
 * Request weight per rolling minute, reported in `x-mbx-used-weight-1m` as Binance
 * does; past the limit the answer is 429 with Retry-After until the minute rolls over.
 */
export class WeightMeter {
  private minute = 0;
  private used = 0;

  constructor(private readonly limitPerMin: number) {}

  /** Undefined when allowed (then `headers()` carries the new total), else the 429 reply. */
  charge(weight: number, now = Date.now()): RestReply | undefined {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.used = 0;
    }
    this.used += weight;
    if (this.used <= this.limitPerMin) return undefined;
    const retryAfter = Math.ceil(((minute + 1) * 60_000 - now) / 1000);
    return jsonReply({ code: -1003, msg: `Too much request weight used; current limit is ${this.limitPerMin} request weight per 1 MINUTE.` }, 429, {
      'retry-after': String(retryAfter),
      ...this.headers(),
    });
  }

  headers(): Record<string, string> {
    return { 'x-mbx-used-weight': String(this.used), 'x-mbx-used-weight-1m': String(this.used) };
  }
}

export function binanceError(status: number, code: number, msg: string): RestReply {
  return jsonReply({ code, msg }, status);
}

export const INVALID_SYMBOL = (): RestReply => binanceError(400, -1121, 'Invalid symbol.');
export const NOT_FOUND = (path: string): RestReply => binanceError(404, -1, `simulator: no endpoint ${path}`);

/** `limit` within 1..max (default when absent); undefined when not a whole number in range. */
export function limitParam(params: URLSearchParams, fallback: number, max: number): number | undefined {
  const text = params.get('limit');
  if (text === null) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

/** Symbol `BTC-USDT` as Binance spells it, `BTCUSDT`. */
export function binanceSymbol(symbol: string): string {
  return symbol.replace('-', '');
}
