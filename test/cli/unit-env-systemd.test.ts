/**
 * The CLI's reading of units and drop-ins (src/cli/unit-env.ts) against systemd itself:
 * the installed systemd (`systemd --user --test`, which loads the units of a transaction
 * with its own unit loader and dumps them, without running anything) reads the same files
 * from a search path of three directories standing for /etc, /run and /usr/lib, and its
 * dump's drop-in paths, Environment= entries and EnvironmentFile= entries must be ours.
 *
 * Needs the systemd binary and root (test mode refuses root, so it runs as nobody through
 * setpriv); this suite's machine has both. Without them the case is reported as not run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unitEnvironmentFromFiles } from '../../src/cli/unit-env.js';

const SYSTEMD = '/lib/systemd/systemd';
const NOBODY = 65534;
const available = existsSync(SYSTEMD) && process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'mp-unit-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const [ETC, RUN, LIB] = ['etc', 'run', 'lib'].map((d) => join(dir, d)) as [string, string, string];

function put(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
const service = (...lines: string[]) => `[Service]\n${lines.join('\n')}\n`;

/** Runs systemd's test mode on `unit` with the search path ETC, RUN, LIB (then its defaults, for basic.target) and returns the unit's dump. */
function systemdDump(unit: string): { dropIns: string[]; environment: string[]; environmentFiles: string[] } {
  const runtime = join(dir, 'xdg-runtime');
  mkdirSync(runtime, { recursive: true });
  chownSync(runtime, NOBODY, NOBODY);
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(dir, 0o755);
  const r = spawnSync(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', SYSTEMD, '--user', '--test', `--unit=${unit}`, '--no-pager', '--log-target=console'],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        XDG_RUNTIME_DIR: runtime,
        XDG_CONFIG_HOME: join(dir, 'xdg-config'),
        SYSTEMD_UNIT_PATH: `${ETC}:${RUN}:${LIB}:`,
      },
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l) => l.trim() === `-> Unit ${unit}:`);
  expect(start, `${unit} in the dump`).toBeGreaterThanOrEqual(0);
  const block: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim().startsWith('-> ')) break;
    block.push(l.trim());
  }
  const field = (name: string) => block.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
  return { dropIns: field('DropIn Path'), environment: field('Environment'), environmentFiles: field('EnvironmentFile') };
}

describe('unit files and drop-ins, read as the installed systemd reads them', () => {
  it.runIf(available)('the same drop-ins in the same order, the same Environment= and EnvironmentFile= entries', () => {
    const unit = 'mp-oracle-collector.service';
    put(join(LIB, unit), service('ExecStart=/bin/true', 'Environment="VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"', `EnvironmentFile=-${dir}/env/unit.env`));
    put(join(LIB, `${unit}.d/10-vendor.conf`), service('Environment=V=lib'));
    put(join(RUN, `${unit}.d/10-vendor.conf`), service('Environment=V=run'));
    put(join(ETC, `${unit}.d/10-vendor.conf`), service(`Environment=V=etc B=%n 'C=x y' D=\\x41\\sz E=q"u o"te`));
    put(join(RUN, `${unit}.d/20-runtime.conf`), service('Environment=R=run-full-name'));
    put(join(ETC, 'mp-oracle-.service.d/20-runtime.conf'), service('Environment=R=etc-prefix'));
    put(join(LIB, 'mp-.service.d/30-prefix.conf'), service('Environment=P=short-prefix 9X=1 =bad K=1 "L=2', `EnvironmentFile=${dir}/env/*.env`));
    put(join(LIB, 'service.d/05-all.conf'), service('Environment=S=every-service VAR2=overridden-later'));
    put(
      join(ETC, `${unit}.d/40-continued.conf`),
      service('Environment=M1=1 \\', '# a comment inside the continuation', '  M2=2', 'EnvironmentFile=', `EnvironmentFile=-${dir}/env/last.env`),
    );
    put(join(ETC, `${unit}.d/README`), 'not a drop-in');

    const systemd = systemdDump(unit);
    const ours = unitEnvironmentFromFiles(unit, { searchPath: [ETC, RUN, LIB] });
    expect(ours.files.slice(1)).toEqual(systemd.dropIns);
    expect(
      Object.entries(ours.env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    ).toEqual([...systemd.environment].sort());
    expect(ours.environmentFiles.map((f) => `${f.optional ? '-' : ''}${f.path}`)).toEqual(systemd.environmentFiles);
    expect(systemd.environmentFiles).toEqual([`-${dir}/env/last.env`]);
    // What the case covers (so a layout that read nothing could not pass).
    expect(systemd.dropIns).toEqual([
      join(LIB, 'service.d/05-all.conf'),
      join(ETC, `${unit}.d/10-vendor.conf`),
      join(ETC, 'mp-oracle-.service.d/20-runtime.conf'),
      join(LIB, 'mp-.service.d/30-prefix.conf'),
      join(ETC, `${unit}.d/40-continued.conf`),
    ]);
    expect(ours.env).toMatchObject({ V: 'etc', R: 'etc-prefix', B: unit, C: 'x y', D: 'A z', E: 'qu ote', K: '1', M1: '1', M2: '2', VAR2: 'overridden-later' });
  });

  it.runIf(available)("an empty Environment= in a drop-in resets the unit file's and the earlier drop-ins' (service.d's too) assignments", () => {
    // No dash: only service.d/05-all.conf of the case above applies, before the reset.
    const unit = 'oraclereset.service';
    put(join(LIB, unit), service('ExecStart=/bin/true', 'Environment=A=1 B=2'));
    put(join(ETC, `${unit}.d/10-a.conf`), service('Environment=C=3'));
    put(join(ETC, `${unit}.d/20-reset.conf`), service('Environment=', 'Environment=D=4'));
    const systemd = systemdDump(unit);
    const ours = unitEnvironmentFromFiles(unit, { searchPath: [ETC, RUN, LIB] });
    expect(systemd.environment).toEqual(['D=4']);
    expect(Object.entries(ours.env).map(([k, v]) => `${k}=${v}`)).toEqual(systemd.environment);
  });
});
