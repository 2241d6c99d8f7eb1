/**
 * The open connections and their subscriptions; delivers each frame to the
 * subscribers of its topic, minus any the fault plan drops.
 */
import type { SimConnection } from './connection.js';
import type { FaultPlan } from './faults.js';
import type { VenueProtocol } from './protocol.js';
import type { Frame, FramePublisher, SimStats } from './types.js';

export class Hub implements FramePublisher {
  private readonly conns = new Set<SimConnection>();
  private readonly byTopic = new Map<string, Set<SimConnection>>();

  constructor(
    private readonly protocol: VenueProtocol,
    private readonly faults: FaultPlan,
    private readonly stats: SimStats,
  ) {}

  add(conn: SimConnection): void {
    this.conns.add(conn);
    this.stats.connectionsOpen = this.conns.size;
    this.stats.connectionsTotal++;
    conn.ws.once('close', () => {
      for (const topic of [...conn.topics]) this.unsubscribe(conn, topic);
      this.conns.delete(conn);
      this.stats.connectionsOpen = this.conns.size;
    });
  }

  connections(): SimConnection[] {
    return [...this.conns];
  }

  /** False when already subscribed. */
  subscribe(conn: SimConnection, topic: string): boolean {
    if (conn.topics.has(topic)) return false;
    conn.topics.add(topic);
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(conn);
    this.stats.subscriptions++;
    return true;
  }

  unsubscribe(conn: SimConnection, topic: string): boolean {
    const set = this.byTopic.get(topic);
    if (!set?.delete(conn)) return false;
    conn.topics.delete(topic);
    if (set.size === 0) this.byTopic.delete(topic);
    this.stats.subscriptions--;
    return true;
  }

  wants(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  hasSubscriber(match: (topic: string) => boolean): boolean {
    for (const topic of this.byTopic.keys()) if (match(topic)) return true;
    return false;
  }

  publish(frame: Frame): void {
    const set = this.byTopic.get(frame.topic);
    if (!set) return;
    const out: [SimConnection, string][] = [];
    for (const conn of set) {
      const text = this.protocol.render(conn, frame);
      if (text !== undefined) out.push([conn, text]);
    }
    // A drop only counts when somebody would have received the diff.
    if (out.length === 0) return;
    if (frame.kind === 'book-diff' && this.faults.takeDrop(frame.topic)) {
      this.stats.framesDropped++;
      return;
    }
    for (const [conn, text] of out) conn.send(text);
  }

  maxBufferedBytes(): number {
    let max = 0;
    for (const c of this.conns) max = Math.max(max, c.ws.bufferedAmount);
    return max;
  }

  /** Closes every connection, or the `count` longest open (`terminate` drops TCP without a close frame). */
  closeAll(how: 'terminate' | 'close', code = 1001, count = Infinity): void {
    // A Set iterates in insertion order: the longest open first.
    for (const c of [...this.conns].slice(0, count)) {
      if (how === 'terminate') c.terminate();
      else c.close(code, 'closed by simulator');
    }
  }
}
