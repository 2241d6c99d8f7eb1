/**
 * Points a collector config at running simulators (quickstart.sh --replay):
 *
 *   node build/src/sim/collector-config.js SIM_JSON COLLECTOR_YAML
 *
 * SIM_JSON is the line `marketprism-sim` prints. Each venue it lists gets its
 * ws_url/rest_url (and, for a replay, the recorded symbols and data types) and is
 * enabled; every other venue is disabled, since the machine has no exchange to reach.
 * Comments and layout of the YAML are kept.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isMap, parseDocument, type YAMLSeq } from 'yaml';
import type { CollectorVenue } from './collector-venues.js';

export function pointCollectorAtSims(yamlText: string, sims: Record<string, CollectorVenue>): string {
  const doc = parseDocument(yamlText);
  const venues = doc.get('venues');
  if (!isMap(venues)) throw new Error('collector config has no `venues:` map');
  const keys = venues.items.map((pair) => String((pair.key as { value?: unknown }).value ?? pair.key));
  for (const key of Object.keys(sims)) if (!keys.includes(key)) throw new Error(`collector config has no venue ${key}`);
  for (const key of keys) {
    const sim = sims[key];
    doc.setIn(['venues', key, 'enabled'], sim !== undefined);
    if (!sim) continue;
    doc.setIn(['venues', key, 'ws_url'], sim.ws_url);
    doc.setIn(['venues', key, 'rest_url'], sim.rest_url);
    if (sim.symbols) doc.setIn(['venues', key, 'symbols'], flowList(doc.createNode(sim.symbols) as YAMLSeq));
    if (sim.data_types) doc.setIn(['venues', key, 'data_types'], flowList(doc.createNode(sim.data_types) as YAMLSeq));
  }
  return doc.toString({ lineWidth: 0 });
}

function flowList(seq: YAMLSeq): YAMLSeq {
  seq.flow = true;
  return seq;
}

function run(argv: string[]): number {
  const [simJson, collectorYaml] = argv;
  if (!simJson || !collectorYaml) {
    process.stderr.write('usage: collector-config SIM_JSON COLLECTOR_YAML\n');
    return 2;
  }
  const sims = JSON.parse(readFileSync(simJson, 'utf8')) as Record<string, CollectorVenue>;
  writeFileSync(collectorYaml, pointCollectorAtSims(readFileSync(collectorYaml, 'utf8'), sims));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = run(process.argv.slice(2));
