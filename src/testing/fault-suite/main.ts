/**
 * The fault suite (scripts/fault-suite.sh, docs/fault-suite.md):
 *
 *   node build/src/testing/fault-suite/main.js [--short] [--seed N] [--rounds N] [--keep]
 *
 * Runs the real daemons on loopback (rig.ts), injects faults at seeded random points,
 * then compares what JetStream acknowledged with the tables and the dead-letter stream.
 * The last line: `faults: N injected, published P, acknowledged A, stored S,
 * dead-lettered D, lost L, duplicated U`; the exit status is 0 only when nothing was
 * lost or duplicated, every poison message was dead-lettered (the partition batch
 * stored) and storage caught up.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DATA_TYPES } from '../../core/model.js';
import { HttpEngine } from '../../storage/engines/http.js';
import { waitFor } from '../ports.js';
import { account, readDeadLetters, readTables, StreamAudit, type LimitPhase } from './audit.js';
import { poisonSet, REFUSED_PREFIX, type Poison } from './poison.js';
import { pidAlive } from './procs.js';
import { Rig } from './rig.js';
import { Rng } from '../../sim/generate/rng.js';

const { values } = parseArgs({
  options: { short: { type: 'boolean' }, seed: { type: 'string' }, rounds: { type: 'string' }, keep: { type: 'boolean' } },
});
const short = values.short ?? false;
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: expected a non-negative integer, got ${values.seed}`);

/** Durations: the full form uses the real ones; --short keeps every class, shorter. */
const D = short
  ? { rounds: 1, engineDownMs: 10_000, unreachableMs: 12_000, pauseMs: 6_000, limitMs: 8_000, gapMs: [2_000, 5_000], budgetMs: 5 * 60_000 }
  : { rounds: 2, engineDownMs: 30_000, unreachableMs: 60_000, pauseMs: 20_000, limitMs: 20_000, gapMs: [5_000, 15_000], budgetMs: 16 * 60_000 };
if (values.rounds) D.rounds = Number(values.rounds);

const STREAM = 'MARKET_DATA';
const DLQ = 'MARKET_DATA_DLQ';
const t0 = Date.now();
const say = (msg: string) => process.stderr.write(`[fault-suite +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const seeded = new Rng(seed); // mulberry32: a run repeats with --seed
const random = () => seeded.next();
const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));

type FaultName =
  | 'kill -9 collector'
  | 'kill -9 storage'
  | 'kill -9 broker'
  | 'kill -9 nats-server'
  | 'engine unavailable'
  | 'broker unreachable from the collector'
  | 'store near its limits'
  | 'storage paused'
  | 'poison messages';
const FAULTS: FaultName[] = [
  'kill -9 collector',
  'kill -9 storage',
  'kill -9 broker',
  'kill -9 nats-server',
  'engine unavailable',
  'broker unreachable from the collector',
  'store near its limits',
  'storage paused',
  'poison messages',
];

const rig = new Rig({ bufferMaxRecords: 500, say });
const poisons: { p: Poison; seq: number }[] = [];
let injected = 0;
let storageKills = 0;
let poisonRounds = 0;
/**
 * The near-limit phases: sequences below `floor` were removed by the limits by the end of
 * the phase; `ackFloors` (per durable consumer) what storage had acknowledged when it stopped.
 */
const limitPhases: LimitPhase[] = [];
const limitReports: string[] = [];
const dropsDuringCuts: number[] = [];
const findings: string[] = [];

async function publishPoison(): Promise<void> {
  const n = ++poisonRounds;
  const set = poisonSet(n, Date.now(), rig.nc.info?.max_payload ?? 1024 * 1024);
  for (const p of set) {
    const ack = await rig.js.publish(p.subject, p.body, { timeout: 10_000 });
    poisons.push({ p, seq: ack.seq });
  }
  say(
    `published ${set.length} poison messages (${new Set(set.map((p) => p.cls)).size} classes) at stream seq ${poisons.at(-set.length)!.seq}..${poisons.at(-1)!.seq}`,
  );
}

async function inject(f: FaultName): Promise<void> {
  injected++;
  switch (f) {
    case 'kill -9 collector': {
      await rig.readCollector();
      const before = rig.collectorNow;
      say(`kill -9 collector (pid ${rig.collector.pid}; ${before.buffered} records buffered, ${before.pendingAcks} awaiting acks: never acknowledged)`);
      await rig.collector.stop('SIGKILL');
      rig.collectorEnded();
      await sleep(1000);
      await rig.startCollector();
      break;
    }
    case 'kill -9 storage': {
      const s = rig.storage;
      // Alternating, the first in the insert window, so the short form has it too.
      if (storageKills++ % 2 === 1) {
        say(`kill -9 storage (pid ${s.pid}) at a random point`);
        await s.stop('SIGKILL');
      } else {
        // The narrowest window: the engine stored the rows, storage never heard so and never acked.
        say(`kill -9 storage (pid ${s.pid}) between an insert stored by the engine and its answer`);
        const hit = new Promise<string>((resolve) => {
          rig.afterInsert = (table) => {
            rig.afterInsert = undefined;
            process.kill(s.pid, 'SIGKILL');
            resolve(table);
          };
        });
        const table = await Promise.race([hit, sleep(30_000).then(() => undefined)]);
        rig.afterInsert = undefined;
        say(table ? `killed after an insert into ${table}` : 'no insert within 30 s; killed anyway');
        await s.stop('SIGKILL');
      }
      await sleep(1000);
      await rig.startStorage();
      break;
    }
    case 'kill -9 broker': {
      const nats = rig.natsPid();
      say(`kill -9 broker (pid ${rig.broker.pid}, its nats-server ${nats})`);
      await rig.broker.stop('SIGKILL');
      // PR_SET_PDEATHSIG: the kernel stops nats-server with the broker.
      const gone = nats === undefined || (await waitFor('nats-server gone', () => !pidAlive(nats), 15_000).catch(() => false));
      if (!gone) {
        findings.push(`nats-server ${nats} outlived its broker (killed by the suite)`);
        rig.orphans.push(nats!);
        process.kill(nats!, 'SIGKILL');
        await waitFor('orphan gone', () => !pidAlive(nats!), 10_000);
      }
      await sleep(1000);
      await rig.startBroker();
      break;
    }
    case 'kill -9 nats-server': {
      const pid = rig.natsPid();
      const starts = rig.natsStarts();
      if (pid === undefined || !pidAlive(pid)) throw new Error('no nats-server pid in the broker log');
      say(`kill -9 nats-server (pid ${pid}); the broker restarts it`);
      process.kill(pid, 'SIGKILL');
      await waitFor('the broker restarting nats-server', () => rig.natsStarts() > starts && rig.natsPid() !== pid, 30_000, 200);
      await waitFor('JetStream back', async () => (await rig.jsm.streams.info(STREAM)).config.name === STREAM, 30_000, 250);
      break;
    }
    case 'engine unavailable': {
      // Refusing connections for a random part, then hanging (accepted, never answered) for the rest:
      // storage's insert fails fast, then only by its own request timeout; both are transient.
      const refused = between(D.engineDownMs / 4, D.engineDownMs / 2);
      say(`engine unavailable for ${D.engineDownMs / 1000} s: connections refused for ${refused / 1000} s, then hanging`);
      await rig.engineProxy.cutOff();
      const poisonAt = between(0, D.engineDownMs);
      const step = async (ms: number, from: number) => {
        if (poisonAt >= from && poisonAt < from + ms && random() < 0.5) {
          await sleep(poisonAt - from);
          await publishPoison(); // poison waiting behind an outage
          await sleep(from + ms - poisonAt);
        } else await sleep(ms);
      };
      await step(refused, 0);
      await rig.engineProxy.blackhole();
      await step(D.engineDownMs - refused, refused);
      await rig.engineProxy.restore();
      break;
    }
    case 'broker unreachable from the collector': {
      await rig.readCollector();
      const dropsBefore = rig.collectorTotals().dropped;
      say(`broker unreachable from the collector for ${D.unreachableMs / 1000} s (proxy cut; buffer ${500} records)`);
      await rig.proxy.cutOff();
      await sleep(D.unreachableMs);
      await rig.readCollector();
      const t = rig.collectorTotals();
      dropsDuringCuts.push(t.dropped - dropsBefore);
      say(
        `restored: ${t.dropped - dropsBefore} records dropped by the bounded buffer (${rig.collectorNow.buffered} queued, ${rig.collectorNow.pendingAcks} awaiting acks)`,
      );
      await rig.proxy.restore();
      break;
    }
    case 'store near its limits': {
      // The collector's rate decides the limit: with storage stopped, it publishes about
      // three times the limit during the phase, so records not yet stored are pushed out.
      const a = await rig.jsm.streams.info(STREAM);
      await sleep(3000);
      const info = await rig.jsm.streams.info(STREAM);
      const rate = (info.state.last_seq - a.state.last_seq) / 3;
      const was = info.config.max_msgs;
      const limit = Math.max(20, Math.round((rate * D.limitMs) / 1000 / 3));
      say(`store near its limits for ${D.limitMs / 1000} s: ${STREAM} max_msgs ${was} -> ${limit} (discard ${info.config.discard}), storage stopped (SIGSTOP)`);
      process.kill(rig.storage.pid, 'SIGSTOP');
      // What storage had acknowledged when it stopped: those records must be in the tables, limits or not.
      const ackFloors = new Map<string, number>();
      for await (const c of rig.jsm.consumers.list(STREAM)) if (c.config.durable_name) ackFloors.set(c.config.durable_name, c.ack_floor.stream_seq);
      await rig.jsm.streams.update(STREAM, { max_msgs: limit });
      await sleep(D.limitMs);
      const during = await rig.jsm.streams.info(STREAM);
      await rig.jsm.streams.update(STREAM, { max_msgs: was });
      const after = await rig.jsm.streams.info(STREAM);
      limitPhases.push({ floor: after.state.first_seq, ackFloors });
      process.kill(rig.storage.pid, 'SIGCONT');
      limitReports.push(
        `max_msgs ${limit}, discard ${info.config.discard}: first_seq ${info.state.first_seq} -> ${after.state.first_seq}, ${during.state.messages} messages held at the limit`,
      );
      say(`limits restored (max_msgs ${was}); stream first_seq now ${after.state.first_seq}`);
      break;
    }
    case 'storage paused':
      say(`storage paused (SIGSTOP) for ${D.pauseMs / 1000} s while the collector publishes`);
      process.kill(rig.storage.pid, 'SIGSTOP');
      await sleep(D.pauseMs);
      process.kill(rig.storage.pid, 'SIGCONT');
      break;
    case 'poison messages':
      await publishPoison();
      break;
  }
}

/** After a fault, the collector's records reach the stream again (within 60 s), or the run fails. */
const recoveries: string[] = [];
async function flowsAgain(f: FaultName): Promise<void> {
  const from = Date.now();
  const seq = async () => (await rig.jsm.streams.info(STREAM)).state.last_seq;
  const start = await waitFor('JetStream answering', seq, 60_000, 250);
  const ok = await waitFor('records flowing', async () => (await seq()) >= start + 20, 60_000, 250).catch(() => false);
  if (!ok) throw new Error(`no records reached the stream within 60 s after "${f}"`);
  recoveries.push(`${f} ${((Date.now() - from) / 1000).toFixed(1)} s`);
}

/** Every durable storage consumer has nothing pending and nothing un-acked. */
async function caughtUp(lastSeq: number): Promise<boolean> {
  const infos = [];
  for await (const c of rig.jsm.consumers.list(STREAM)) infos.push(c);
  const durable = infos.filter((c) => c.config.durable_name?.startsWith('storage-'));
  return lastSeq > 0 && durable.length === DATA_TYPES.length && durable.every((c) => c.num_pending === 0 && c.num_ack_pending === 0);
}

async function run(): Promise<boolean> {
  say(`seed ${seed} (${short ? 'short' : 'full'} form, ${D.rounds} round(s)); directory ${rig.dir}`);
  await rig.start();
  // ClickHouse refuses these rows for their content (a CHECK constraint): the data-error class.
  const admin = new HttpEngine({ url: rig.chdb.url, ...rig.engineCredentials, requestTimeoutMs: 10_000 });
  await admin.command(`ALTER TABLE marketprism_hot.trades ADD CONSTRAINT fault_refused CHECK NOT startsWith(trade_id, '${REFUSED_PREFIX}')`);
  await admin.close();
  const auditor = new StreamAudit(rig.js, STREAM);
  auditor.follow();
  say('all daemons up; injecting faults');

  for (let r = 0; r < D.rounds; r++) {
    const order = [...FAULTS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1)); // Fisher-Yates
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const f of order) {
      await sleep(between(D.gapMs[0]!, D.gapMs[1]!));
      await inject(f);
      await flowsAgain(f);
    }
  }
  await sleep(3000);
  // End: the collector stops cleanly (it flushes what it holds), storage drains the stream.
  await rig.readCollector();
  say('faults done; stopping the collector (SIGTERM) and waiting for storage to catch up');
  await rig.collector.stop('SIGTERM', 30_000);
  rig.collectorEnded();
  const end = await rig.jsm.streams.info(STREAM);
  const lastSeq = end.state.last_seq;
  let drained = await waitFor('storage caught up', () => caughtUp(lastSeq), 180_000, 1000).catch(() => false);
  if (!drained) findings.push('storage did not catch up within 180 s');
  const audited = await auditor.catchUp(lastSeq, 60_000);
  await auditor.stop();
  if (!audited) findings.push(`the audit did not read up to stream seq ${lastSeq}`);
  await sleep(2000); // dead letters are published before the acks they follow; let the last ones land
  const dlqInfo = await rig.jsm.streams.info(DLQ);
  const dead = await readDeadLetters(rig.js, DLQ, dlqInfo.state.last_seq);
  const tables = await readTables(rig.chdb, 'marketprism_hot');
  const final = await rig.jsm.streams.info(STREAM);
  drained = drained && final.state.last_seq === lastSeq;

  // Accounting, sequence by sequence.
  const counted = account({
    lastSeq,
    seen: auditor.seen,
    dead,
    tables,
    poisons: new Map(poisons.map((x) => [x.seq, x.p])),
    limits: { phases: limitPhases, firstSeq: final.state.first_seq },
  });
  const { acknowledged, stored, lost, lostSamples, discarded, resurrected, poisonFailures, streamDuplicates } = counted;
  const deadCollector = counted.deadLettered;
  if (resurrected)
    findings.push(
      `${resurrected} records the limits had discarded were back in the stream after a nats-server crash (JetStream; storage's consumers are past them)`,
    );
  if (deadCollector) findings.push(`${deadCollector} collector records were dead-lettered (the collector emitted what storage refuses)`);

  // Duplicates (audit.ts account). A record JetStream acknowledged twice (the collector sent it again outside the duplicate
  // window, e.g. its long/short-ratio backfill after a restart) is reported beside storage writing one message twice: its
  // second row is a copy the ReplacingMergeTree collapses, and FINAL never shows it.
  const { distinct, unmerged, storedTwice, finalRows, duplicated } = counted;
  if (streamDuplicates) {
    findings.push(
      `${streamDuplicates} records were acknowledged twice (the collector sent them again: outside JetStream's duplicate window, or inside a multi-record message formed differently); ` +
        `${unmerged - storedTwice} copies in the tables, collapsed by the ReplacingMergeTree, none read with FINAL`,
    );
  }
  const collector = rig.collectorTotals();
  const published = collector.out + poisons.length;
  const deadLettered = dead.size;
  const deadPoison = poisons.filter((x) => dead.has(String(x.seq))).length;

  const check = (ok: boolean, what: string) => (ok ? undefined : what);
  const failures = [
    check(lost === 0, `${lost} acknowledged records neither stored nor dead-lettered (${lostSamples.join('; ')})`),
    check(
      duplicated === 0,
      `${duplicated} rows stored twice from one message (${storedTwice} not yet merged, ${Math.max(0, finalRows - distinct)} read with FINAL)`,
    ),
    ...poisonFailures,
    check(drained, 'storage did not drain the stream'),
    check(audited, 'the stream audit is incomplete'),
  ].filter((x): x is string => x !== undefined);

  console.log(`seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s, directory ${rig.dir}`);
  console.log(
    `collector: ${collector.out} records out, ${collector.published} publishes acked (duplicates included), ${collector.dropped} dropped by its bounded buffer ` +
      `(during the proxy cuts: ${dropsDuringCuts.join(', ') || 'none'}; the rest while the broker or nats-server was down), ${collector.invalid} invalid records refused, ${collector.problems} problems counted`,
  );
  console.log(
    `stream: ${lastSeq} messages acknowledged holding ${acknowledged} records, ${streamDuplicates} of them a record already in the stream (same natural key), first_seq at the end ${final.state.first_seq}, ${final.state.messages} held`,
  );
  console.log(
    `store near its limits: ${limitReports.join('; ') || 'not injected'}; ${discarded} acknowledged records discarded by the limits before storage read them`,
  );
  console.log(
    `tables: ${distinct} distinct records, ${finalRows} rows read with FINAL, ${unmerged} copies of a record not yet merged away (${storedTwice} of them from one message stored twice)`,
  );
  console.log(
    `poison: ${poisons.length} published in ${poisonRounds} injection(s), ${poisons.filter((x) => x.p.expect === 'dead_letter').length} to dead-letter, ${poisons.filter((x) => x.p.expect === 'stored').length} to store whole; ${deadPoison} poison and ${deadCollector} collector messages dead-lettered, ${dead.copies} dead letters sent twice`,
  );
  console.log(`records flowing again after each fault: ${recoveries.join(', ')}`);
  for (const f of findings) console.log(`finding: ${f}`);
  for (const f of failures) console.log(`FAILED: ${f}`);
  console.log(
    `faults: ${injected} injected, published ${published}, acknowledged ${acknowledged}, stored ${stored.size}, dead-lettered ${deadLettered}, lost ${lost}, duplicated ${duplicated}`,
  );
  return failures.length === 0;
}

const budget = setTimeout(() => {
  console.log(`FAILED: over the time budget of ${D.budgetMs / 1000} s (directory ${rig.dir})`);
  void rig.close().finally(() => process.exit(2));
}, D.budgetMs);

let ok = false;
try {
  ok = await run();
} catch (err) {
  console.log(`FAILED: ${(err as Error).stack ?? String(err)}`);
} finally {
  clearTimeout(budget);
  await rig.close().catch((e: Error) => say(`cleanup: ${e.message}`));
}
if (ok && !values.keep) rmSync(rig.dir, { recursive: true, force: true });
else say(`logs kept in ${rig.dir}`);
process.exit(ok ? 0 : 1);
