/**
 * The multi-host checks (scripts/e2e-multihost.sh, docs/cluster.md "Three hosts"):
 *
 *   ip netns exec <prefix>-ops node build/src/testing/multihost/main.js --topology RUN/topology.json
 *
 * Runs on the operator's host of the topology the script built, starts the deployment
 * (rig.ts) and runs the checks in order, each printing `ok - ...` or `not ok - ...`; the
 * last line: `multihost: N checks passed, published P, acknowledged A, stored S, lost L,
 * duplicated U`. Exit status 0 only when every check passed. What JetStream acknowledged is
 * read back as the fault suite reads it (fault-suite/audit.ts) and compared with the rows.
 * Before that accounting, the collector fleet's checks (fleet.ts): three members on co, co2, co3.
 *
 * Environment: MARKETPRISM_MH_CUT_S (the collector's link cut, default 60),
 * MARKETPRISM_MH_STORAGE_DOWN_S (the storage host down, default 300), MARKETPRISM_MH_PLOT (an SVG
 * file for the plot of that outage's backlog, docs/img/storage-outage.svg; none by default).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import { DATA_TYPES, type DataType } from '../../core/model.js';
import { TABLES } from '../../storage/schema.js';
import { waitFor } from '../ports.js';
import { lineChart } from '../svg-chart.js';
import { account, readDeadLetters, readTables, StreamAudit } from '../fault-suite/audit.js';
import { pidAlive } from '../fault-suite/procs.js';
import { natsStartsIn, type CollectorCounts } from '../fault-suite/deployment.js';
import { readTopology, setLink } from './hosts.js';
import { fleetChecks } from './fleet.js';
import { DLQ, MultiHostRig, STREAM, type Broker } from './rig.js';

const { values } = parseArgs({ options: { topology: { type: 'string' } } });
if (!values.topology) throw new Error('--topology FILE (written by scripts/e2e-multihost.sh) is required');

function seconds(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a whole number of seconds (at least 1), got ${JSON.stringify(raw)}`);
  return n;
}
const CUT_S = seconds('MARKETPRISM_MH_CUT_S', 60);
const STORAGE_DOWN_S = seconds('MARKETPRISM_MH_STORAGE_DOWN_S', 300);
/** Where to write the plot of the storage outage's backlog (SVG), e.g. docs/img/storage-outage.svg; none when unset. */
const PLOT = process.env.MARKETPRISM_MH_PLOT;
/** The collector's nats.buffer_max_records: about 20 s of its records here, so the cut overflows it. */
const BUFFER_MAX = Math.min(1000, Math.max(200, CUT_S * 15));
/** The longest pause between acks after a node dies that still counts as "publishing continues" (test/broker/cluster.test.ts). */
const GAP_LIMIT_MS = 15_000;
const BUDGET_MS = (10 * 60 + CUT_S + 2 * STORAGE_DOWN_S) * 1000;

const t0 = Date.now();
const say = (msg: string) => process.stderr.write(`[multihost +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const topology = readTopology(values.topology);
const rig = new MultiHostRig(topology, { bufferMaxRecords: BUFFER_MAX, say });
let auditor: StreamAudit;
const audit = () => auditor;

class CheckFailed extends Error {}
const must = (ok: boolean, what: string) => {
  if (!ok) throw new CheckFailed(what);
};

const lastSeq = async () => (await rig.jsm.streams.info(STREAM)).state.last_seq;

/** The collector's records reach the stream again (20 messages past where it stood) within `ms`; the time taken. */
async function flowsAgain(ms: number): Promise<number> {
  const from = Date.now();
  const start = await waitFor('JetStream answering', lastSeq, 60_000, 250);
  const ok = await waitFor('records flowing', async () => (await lastSeq()) >= start + 20, ms, 250).catch(() => false);
  must(ok !== false, `no records reached the stream within ${ms / 1000} s`);
  return Date.now() - from;
}

/** Per durable storage consumer (storage-hot-<type>): its state. */
async function consumers(): Promise<Map<DataType, { ackFloor: number; pending: number; ackPending: number }>> {
  const out = new Map<DataType, { ackFloor: number; pending: number; ackPending: number }>();
  for await (const c of rig.jsm.consumers.list(STREAM)) {
    const type = c.config.durable_name?.replace(/^storage-hot-/, '') as DataType;
    if (c.config.durable_name?.startsWith('storage-hot-') && DATA_TYPES.includes(type))
      out.set(type, { ackFloor: c.ack_floor.stream_seq, pending: c.num_pending, ackPending: c.num_ack_pending });
  }
  return out;
}

/** Messages not yet acknowledged by the consumers (pending and in flight), summed. */
const waitingOf = (m: Map<DataType, { pending: number; ackPending: number }>) => [...m.values()].reduce((a, c) => a + c.pending + c.ackPending, 0);

/** Records of type `type` in stream messages seq (from, to], as the audit read them. */
function recordsBetween(from: number, to: number, type?: DataType): number {
  let n = 0;
  for (let s = from + 1; s <= to; s++) for (const r of audit().seen.get(s) ?? []) if (!type || ('type' in r && r.type === type)) n++;
  return n;
}

// ---- the checks, in order (the collector fleet's come from fleet.ts) ----

async function dataFlows(): Promise<string> {
  const want: DataType[] = ['orderbook', 'trade', 'funding_rate', 'open_interest'];
  let counts = new Map<DataType, number>();
  const ok = await waitFor(
    'rows of every streamed and periodic type',
    async () => {
      counts = new Map();
      for (const type of DATA_TYPES) {
        const [r] = await rig.query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.${TABLES[type]}`);
        counts.set(type, Number(r!.n));
      }
      return want.every((t) => (counts.get(t) ?? 0) > 0);
    },
    120_000,
    3000,
  ).catch(() => false);
  const shown = [...counts].map(([t, n]) => `${t} ${n}`).join(', ');
  must(ok !== false, `after 120 s not every one of ${want.join(', ')} has rows (marketprism query on the storage host: ${shown})`);
  return `collector (${rig.co.addr}) -> 3-node cluster -> storage (${rig.st.addr}) -> chDB, read with marketprism query on the storage host: ${shown}`;
}

/** Records the collector holds (waiting, in flight, to retry): made, less acked, less dropped; never above the bound. */
const held = (m: CollectorCounts) => m.out - m.published - m.dropped;

async function collectorCut(): Promise<string> {
  const before = (await rig.readCollector())!;
  say(`collector host's link to the brokers cut for ${CUT_S} s (buffer_max_records ${BUFFER_MAX})`);
  await setLink(topology, rig.co, false);
  const cutAt = Date.now();
  let maxHeld = held(before);
  let maxQueued = before.buffered;
  const sample = async () => {
    const m = await rig.readCollector();
    if (m) {
      maxHeld = Math.max(maxHeld, held(m));
      maxQueued = Math.max(maxQueued, m.buffered);
    }
    return m;
  };
  let atRestore = before;
  while (Date.now() - cutAt < CUT_S * 1000) {
    await sleep(Math.min(2000, Math.max(0, CUT_S * 1000 - (Date.now() - cutAt))));
    atRestore = (await sample()) ?? atRestore;
  }
  await setLink(topology, rig.co, true);
  const restoredAt = Date.now();
  say(
    `restored: during the cut ${atRestore.out - before.out} records made, ${atRestore.published - before.published} acked, ${atRestore.dropped - before.dropped} dropped, at most ${maxHeld} held`,
  );
  // The outage as the collector lives it lasts until its publishes are answered again (TCP's retransmission
  // timer, or the NATS client's reconnect): sampled until it is connected with its buffer emptied.
  const back = await flowsAgain(120_000);
  const after = await waitFor(
    'the collector connected again and its buffer emptied',
    async () => {
      const m = await sample();
      const h = await rig.collectorHealth();
      return m && h?.nats?.connected === true && held(m) < BUFFER_MAX / 10 ? { m, h } : undefined;
    },
    120_000,
    1000,
  ).catch(() => undefined);
  must(after !== undefined, 'the collector did not reconnect and empty its buffer within 120 s of the restore');
  const { m: end, h } = after!;
  const out = end.out - before.out;
  const dropped = end.dropped - before.dropped;
  must(maxHeld <= BUFFER_MAX, `the collector held ${maxHeld} records, above buffer_max_records ${BUFFER_MAX}`);
  must(maxQueued <= BUFFER_MAX, `marketprism_collector_publish_buffer_records reached ${maxQueued}, above buffer_max_records ${BUFFER_MAX}`);
  must(out > BUFFER_MAX, `only ${out} records made during the outage: the buffer (${BUFFER_MAX}) could not fill, nothing to show`);
  must(dropped > 0, `${out} records made during the outage, buffer ${BUFFER_MAX}, yet no drop counted (marketprism_collector_dropped_records_total)`);
  must(h.nats?.dropped === end.dropped, `/health nats.dropped ${h.nats?.dropped} differs from the metric ${end.dropped}`);
  return (
    `${CUT_S} s cut: ${out} records made until publishing was answered again, ${dropped} (the oldest) dropped and counted (metric and /health), ` +
    `at most ${maxHeld} held of buffer_max_records ${BUFFER_MAX}; records in the stream again ${(back / 1000).toFixed(1)} s after the restore, ` +
    `buffer emptied ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after (nothing acknowledged lost: the accounting at the end)`
  );
}

/** The longest pause between messages stored in the stream after `at` (their JetStream timestamps), up to sequence `until`. */
async function longestPause(at: number, until: number): Promise<{ gap: number; before: number }> {
  const c = await rig.js.consumers.get(STREAM, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(at - 5000).toISOString() });
  const stamps: number[] = [];
  for (let seq = 0; seq < until;) {
    const batch = await c.fetch({ max_messages: 1000, expires: 3000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      seq = m.seq;
      stamps.push(m.info.timestampNanos / 1e6);
      if (seq >= until) break;
    }
    if (got === 0) break;
  }
  let gap = 0;
  let before = 0;
  let prev: number | undefined;
  for (const s of stamps) {
    if (s < at) {
      if (prev !== undefined) before = Math.max(before, s - prev);
    } else gap = Math.max(gap, s - (prev !== undefined && prev >= at ? prev : at));
    prev = s;
  }
  return { gap: Math.round(gap), before: Math.round(before) };
}

/**
 * The hardest node to lose: the one the collector is connected to, made the stream's leader
 * first (a leader step-down naming it), so its death costs both the collector's connection
 * (it must go to another seed) and the stream's leader (JetStream elects another).
 */
async function natsServerKilled(): Promise<string> {
  let found: Broker | undefined;
  for (const b of rig.brokers) if (await rig.collectorOn(b)) found = b;
  must(found !== undefined, 'no broker shows the collector among its connections (/connz)');
  const victim = found!;
  const name = victim.host.name;
  await waitFor(
    `${name} leading ${STREAM}`,
    async () => {
      const p = await rig.placement(STREAM);
      if (p?.leader === name) return true;
      if (p?.peers.every((r) => r.current))
        await rig.nc
          .request(`$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`, JSON.stringify({ placement: { preferred: name } }), { timeout: 5000 })
          .catch(() => undefined);
      return false;
    },
    60_000,
    2000,
  );
  await sleep(15_000); // steady load first
  const leading = (await rig.placement(STREAM))?.leader === name;
  const connected = await rig.collectorOn(victim);
  const pid = rig.natsPid(victim);
  must(pid !== undefined && pidAlive(pid), `no live nats-server pid in ${victim.proc.logFile}`);
  const seqAtKill = await lastSeq();
  const starts = natsStarts(victim);
  const role = `${leading ? 'the' : 'not the'} ${STREAM} leader, the collector ${connected ? '' : 'not '}connected to it`;
  say(`kill -9 nats-server on ${name} (pid ${pid}; ${role})`);
  const killedAt = Date.now();
  process.kill(pid!, 'SIGKILL');
  const back = await flowsAgain(60_000);
  await waitFor(`${name}'s broker restarting nats-server`, () => natsStarts(victim) > starts && rig.natsPid(victim) !== pid, 60_000, 250);
  await rig.replicasCurrent(STREAM, 120_000, name);
  await rig.replicasCurrent(DLQ, 60_000, name);
  const rejoined = Date.now();
  await sleep(5000);
  const until = await lastSeq();
  const own = await waitFor(
    `${name}'s own copy past seq ${until}`,
    async () => {
      const s = await rig.jszStream(victim, STREAM);
      return s && s.last_seq >= until ? s : undefined;
    },
    60_000,
    500,
  ).catch(() => undefined);
  const { gap, before } = await longestPause(killedAt, until);
  let now: string | undefined;
  for (const b of rig.brokers) if (await rig.collectorOn(b)) now = b.host.name;
  const p2 = await rig.placement(STREAM);
  must(leading && connected, `the victim was ${role}`);
  must(own !== undefined, `${name}'s /jsz never showed ${STREAM} past seq ${until}`);
  must(now !== undefined && now !== name, `the collector is connected to ${now ?? 'no broker'} after the kill`);
  must(gap < GAP_LIMIT_MS, `publishing paused ${gap} ms after the kill (limit ${GAP_LIMIT_MS} ms)`);
  return (
    `${name} (${role}) killed at seq ${seqAtKill}: publish gap ${gap} ms (the longest pause between stored messages after the kill; ${before} ms in the 5 s before), ` +
    `records flowing ${(back / 1000).toFixed(1)} s after, the collector now on ${now}, leader now ${p2?.leader}; ` +
    `nats-server restarted by its broker, ${name} current again ${((rejoined - killedAt) / 1000).toFixed(1)} s after the kill, its own copy at seq ${own!.last_seq}`
  );
}

const natsStarts = (b: Broker) => natsStartsIn(b.proc.log());

async function storageDown(): Promise<string> {
  const floors = await consumers();
  must(floors.size === DATA_TYPES.length, `${floors.size} storage consumers, expected ${DATA_TYPES.length}`);
  say(`storage host down for ${STORAGE_DOWN_S} s: link cut, marketprism-storage killed (SIGKILL)`);
  await setLink(topology, rig.st, false);
  await rig.storage.stop('SIGKILL');
  const downAt = Date.now();
  const floorsAtDown = await consumers();
  // The backlog over time (messages waiting for storage's consumers), for the plot (MARKETPRISM_MH_PLOT).
  const curve: [number, number][] = [[0, waitingOf(floorsAtDown)]];
  const sample = async () => void curve.push([(Date.now() - downAt) / 1000, waitingOf(await consumers())]);
  for (const until = downAt + STORAGE_DOWN_S * 1000; Date.now() < until;) {
    await sleep(Math.min(5000, until - Date.now()));
    await sample();
  }
  const held = await rig.jsm.streams.info(STREAM);
  const pending = await consumers();
  const lowest = Math.min(...[...floorsAtDown.values()].map((c) => c.ackFloor));
  await setLink(topology, rig.st, true);
  const target = held.state.last_seq;
  const startedAt = await rig.startStorage();
  say(`storage back after ${((Date.now() - downAt) / 1000).toFixed(0)} s; backlog up to seq ${target}`);
  must(await audit().catchUp(target, 60_000), `the audit did not read up to seq ${target}`);
  // Drained: every consumer acknowledged its last message at or below the target.
  const targets = new Map<DataType, number>();
  for (let s = 1; s <= target; s++) for (const r of audit().seen.get(s) ?? []) if ('type' in r) targets.set(r.type, s);
  const drainedAt = await waitFor(
    'storage through the backlog',
    async () => {
      const now = await consumers();
      curve.push([(Date.now() - downAt) / 1000, waitingOf(now)]);
      return [...targets].every(([type, seq]) => (now.get(type)?.ackFloor ?? 0) >= seq) ? Date.now() : undefined;
    },
    Math.max(300_000, STORAGE_DOWN_S * 1000),
    250,
  ).catch(() => undefined);
  let backlog = 0;
  for (const type of DATA_TYPES) backlog += recordsBetween(floorsAtDown.get(type)?.ackFloor ?? 0, target, type);
  const waiting = waitingOf(pending);
  must(
    held.state.first_seq <= lowest + 1,
    `the stream dropped messages storage had not acknowledged (first_seq ${held.state.first_seq}, lowest ack floor ${lowest})`,
  );
  must(waiting > 0, 'no backlog built up while storage was down');
  must(drainedAt !== undefined, `storage did not work through the backlog (to seq ${target}) within ${Math.max(300, STORAGE_DOWN_S)} s`);
  const s = (drainedAt! - startedAt) / 1000;
  if (PLOT) writeOutagePlot(PLOT, curve, (startedAt - downAt) / 1000, backlog, s);
  return (
    `${STORAGE_DOWN_S} s down: JetStream kept the backlog (${held.state.messages} messages held, first_seq ${held.state.first_seq}, ${waiting} messages waiting for storage's consumers), ` +
    `drained on return: ${backlog} records in ${s.toFixed(1)} s from the daemon's start, ${Math.round(backlog / s)} records/s`
  );
}

/** The backlog while the storage host was down and while it drained, as docs/operations.md shows it. */
function writeOutagePlot(file: string, curve: [number, number][], backAtS: number, records: number, drainS: number): void {
  const svg = lineChart({
    title: `Storage host down ${STORAGE_DOWN_S} s: the backlog JetStream keeps, then the drain`,
    xLabel: 'seconds since the storage host went down',
    logX: false,
    series: true,
    panelWidth: 760,
    note: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, scripts/e2e-multihost.sh (3-node NATS cluster, storage on chDB): storage back at ${Math.round(backAtS)} s, ${records} records drained in ${drainS.toFixed(1)} s`,
    panels: [{ title: "messages waiting for storage's consumers", yLabel: 'messages', points: curve }],
  });
  writeFileSync(file, svg);
  say(`plot of the outage written to ${file}`);
}

interface Totals {
  published: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
}
let totals: Totals | undefined;

async function nothingLost(): Promise<string> {
  await sleep(3000);
  const running = rig.collectors.filter((c) => c.proc);
  say(`stopping the collectors (${running.map((c) => c.host.name).join(', ')}; SIGTERM) and waiting for storage to catch up`);
  await Promise.all(running.map((c) => rig.stopCollector(c)));
  const end = await lastSeq();
  const drained = await waitFor(
    'storage caught up',
    async () => {
      const c = await consumers();
      return c.size === DATA_TYPES.length && [...c.values()].every((x) => x.pending === 0 && x.ackPending === 0);
    },
    180_000,
    1000,
  ).catch(() => false);
  const read = await audit().catchUp(end, 60_000);
  await audit().stop();
  await sleep(2000);
  const dead = await readDeadLetters(rig.js, DLQ, (await rig.jsm.streams.info(DLQ)).state.last_seq);
  // Rows read through the storage host's `marketprism query` (the daemon's /query).
  const tables = await readTables(rig, 'marketprism_hot');

  // As the fault suite counts (docs/fault-suite.md, How it counts), without poison or store limits.
  const c = account({ lastSeq: end, seen: audit().seen, dead, tables });
  const collector = rig.collectorTotals();
  totals = { published: collector.out, acknowledged: c.acknowledged, stored: c.stored.size, lost: c.lost, duplicated: c.duplicated };
  console.log(
    `collector: ${collector.out} records out, ${collector.published} publishes acked (duplicates included), ${collector.dropped} dropped by its bounded buffer, ${collector.invalid} invalid, ${collector.problems} problems counted`,
  );
  console.log(
    `stream: ${end} messages holding ${c.acknowledged} records, ${c.streamDuplicates} of them a record already in the stream (same natural key); ` +
      `tables: ${c.distinct} distinct records, ${c.finalRows} rows with FINAL, ${c.unmerged} copies not yet merged (${c.storedTwice} from one message stored twice); ${c.deadLettered} records dead-lettered`,
  );
  // A publish that reached JetStream but whose ack never came back (a cut link, a dead node) is retried, and
  // dropped whole when the bounded buffer needs its room: counted as dropped, yet stored.
  const unacked = c.acknowledged - c.streamDuplicates - collector.published;
  if (unacked > 0)
    console.log(
      `finding: at least ${unacked} records are in the stream that no collector saw acknowledged (of the ${collector.dropped} counted as dropped, at most that many were really lost to the buffer: ${Math.max(0, collector.dropped - unacked)}; a record two fleet members both published and saw acknowledged counts twice among the acks, so this is a lower bound)`,
    );
  must(drained !== false, 'storage did not catch up within 180 s of the collector stopping');
  must(read, `the stream audit did not read up to seq ${end}`);
  must(c.deadLettered === 0, `${c.deadLettered} collector records were dead-lettered`);
  must(c.lost === 0, `${c.lost} acknowledged records not in the tables (${c.lostSamples.join('; ')})`);
  must(
    c.duplicated === 0,
    `${c.duplicated} rows stored twice from one message (${c.storedTwice} not yet merged, ${Math.max(0, c.finalRows - c.distinct)} read with FINAL)`,
  );
  return (
    `every acknowledged record in ClickHouse once by natural key: ${c.acknowledged} acknowledged, ${c.stored.size} stored, lost 0, duplicated 0 ` +
    `(${c.streamDuplicates} acknowledged records repeat one already in the stream: retries and the fleet's hand-over overlaps, one row each)`
  );
}

const CHECKS: [string, () => Promise<string>][] = [
  ['data flows end to end', dataFlows],
  ["the collector host's link to the brokers cut and restored", collectorCut],
  ['kill -9 of one nats-server under load', natsServerKilled],
  ['the storage host down', storageDown],
  ...fleetChecks({ rig, say, must }),
  ['nothing acknowledged lost or stored twice', nothingLost],
];

async function main(): Promise<number> {
  say(`run directory ${topology.dir}; link cut ${CUT_S} s, storage down ${STORAGE_DOWN_S} s`);
  await rig.start();
  auditor = new StreamAudit(rig.js, STREAM);
  auditor.follow();
  say('all hosts up');
  // Each check runs whatever the one before it found (a failure is reported, not a reason to stop):
  // the accounting at the end always runs.
  let passed = 0;
  let failed = 0;
  for (const [name, check] of CHECKS) {
    try {
      console.log(`ok - ${name}: ${await check()}`);
      passed++;
    } catch (err) {
      failed++;
      console.log(`not ok - ${name}: ${err instanceof CheckFailed ? err.message : ((err as Error).stack ?? String(err))}`);
    }
  }
  const t = totals;
  console.log(
    `multihost: ${passed} checks passed, published ${t?.published ?? '?'}, acknowledged ${t?.acknowledged ?? '?'}, stored ${t?.stored ?? '?'}, lost ${t?.lost ?? '?'}, duplicated ${t?.duplicated ?? '?'}`,
  );
  return failed === 0 && t !== undefined ? 0 : 1;
}

const budget = setTimeout(() => {
  console.log(`not ok - over the time budget of ${BUDGET_MS / 1000} s (run directory ${topology.dir})`);
  void rig.close().finally(() => process.exit(2));
}, BUDGET_MS);

let code = 1;
try {
  code = await main();
} catch (err) {
  console.log(`not ok - start: ${(err as Error).stack ?? String(err)}`);
  console.log('multihost: 0 checks passed, published ?, acknowledged ?, stored ?, lost ?, duplicated ?');
} finally {
  clearTimeout(budget);
  await rig.close().catch((e: Error) => say(`cleanup: ${e.message}`));
}
process.exit(code);
