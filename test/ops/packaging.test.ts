/**
 * The packages' nfpm configs and systemd units are written from one description
 * (packaging/packages.yaml, packaging/render-packaging.mjs, systemd/marketprism.service.in):
 * each renders, names what its package ships, and the observability files under
 * /usr/share/marketprism are every file of grafana/ and prometheus/. The packages themselves
 * are built and installed by scripts/e2e-systemd.sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = mkdtempSync(join(tmpdir(), 'mp-packaging-'));
const render = (...args: string[]) => execFileSync(process.execPath, ['packaging/render-packaging.mjs', ...args], { encoding: 'utf8' }).trim();
const description = parse(readFileSync('packaging/packages.yaml', 'utf8')) as {
  packages: Record<string, { configs: string[]; units: Record<string, { config: string; state: string; enabled: boolean }>; share_files?: string[] }>;
};
const modules = Object.keys(description.packages);
const filesUnder = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? filesUnder(join(d, f)) : [join(d, f)]));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packaging from one description', () => {
  it('describes the three packages', () => {
    expect([...modules].sort()).toEqual(['broker', 'collector', 'storage']);
  });

  it.each(modules)('%s: the nfpm config ships its units, configs and state directories', (module) => {
    const p = description.packages[module]!;
    const file = join(dir, `${module}.yaml`);
    render('nfpm', module, file);
    const nfpm = parse(readFileSync(file, 'utf8')) as { name: string; contents: { src?: string; dst: string; type?: string; packager?: string }[] };
    expect(nfpm.name).toBe(`marketprism-${module}`);
    const dsts = nfpm.contents.map((c) => `${c.dst} ${c.packager ?? ''}`);
    expect(new Set(dsts).size, 'a destination listed twice').toBe(dsts.length);
    const dst = (path: string) => nfpm.contents.find((c) => c.dst === path);
    for (const unit of Object.keys(p.units)) expect(dst(`/usr/lib/systemd/system/${unit}.service`)?.src).toBe(`${unit}.service`);
    for (const c of p.configs) expect(dst(`/etc/marketprism/${c}`)?.type).toBe('config|noreplace');
    for (const u of Object.values(p.units)) expect(dst(`/var/lib/marketprism/${u.state}`)?.type).toBe('dir');
    expect(dst(`/usr/bin/marketprism-${module}`)).toBeDefined();
    expect(render('get', module, 'state_dirs').split(' ')).toEqual(Object.values(p.units).map((u) => `/var/lib/marketprism/${u.state}`));
  });

  it.each(modules.flatMap((m) => Object.keys(description.packages[m]!.units).map((u) => [m, u] as const)))(
    '%s: unit %s runs its daemon on a config its package ships',
    (module, unit) => {
      const p = description.packages[module]!;
      const file = join(dir, `${unit}.service`);
      render('unit', unit, file);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/@[A-Z_]+@|^#%/m);
      const config = p.units[unit]!.config;
      expect(p.configs).toContain(config);
      expect(text).toContain(`\nExecStart=/usr/bin/marketprism-${module} --config /etc/marketprism/${config}\n`);
      expect(text).toContain(`\nSyslogIdentifier=${unit}\n`);
      expect(text).toContain(`\nStateDirectory=marketprism/${p.units[unit]!.state}\n`);
      expect(text.includes('Disabled by default'), 'a disabled unit says so').toBe(!p.units[unit]!.enabled);
      for (const section of ['[Unit]', '[Service]', '[Install]']) expect(text).toContain(`\n${section}\n`);
    },
  );

  it('/usr/share/marketprism holds every file of grafana/ and prometheus/, in one package', () => {
    const shipped = modules.flatMap((m) => description.packages[m]!.share_files ?? []);
    expect(shipped.sort()).toEqual([...filesUnder('grafana'), ...filesUnder('prometheus')].sort());
  });

  it('names what it does not know', () => {
    const r = spawnSync(process.execPath, ['packaging/render-packaging.mjs', 'nfpm', 'brokr', join(dir, 'x')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('packaging/packages.yaml has no package "brokr" (has: broker, storage, collector)');
    const u = spawnSync(process.execPath, ['packaging/render-packaging.mjs', 'unit', 'marketprism-nope', join(dir, 'x')], { encoding: 'utf8' });
    expect(u.stderr).toContain('has no unit "marketprism-nope"');
  });
});
