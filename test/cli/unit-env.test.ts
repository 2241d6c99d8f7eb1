/**
 * The unit environment the CLI reads (src/cli/unit-env.ts): systemd's EnvironmentFile and
 * Environment= syntax, the drop-in directories and their precedence, from real files in a
 * temporary root (`--root`), and `marketprism check-config` naming the drop-in that set a key.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropInFiles,
  expandGlob,
  parseEnvironmentFile,
  parseSystemctlShow,
  parseUnitFile,
  splitWords,
  unitEnvironmentFromFiles,
  unitEnvironmentFromShow,
} from '../../src/cli/unit-env.js';
import { checkConfigRow, cli } from '../helpers/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A fresh root holding `files` (host path → text). */
function root(files: Record<string, string>): string {
  const r = mkdtempSync(join(tmpdir(), 'mp-unit-env-'));
  roots.push(r);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(r, path)), { recursive: true });
    writeFileSync(join(r, path), text);
  }
  return r;
}

const UNIT = 'marketprism-collector.service';
const PACKAGED = `[Unit]\nDescription=MarketPrism collector\n\n[Service]\nExecStart=/usr/bin/marketprism-collector --config /etc/marketprism/collector.yaml\nEnvironmentFile=-/etc/default/marketprism-collector\n`;
const service = (...lines: string[]) => `[Service]\n${lines.join('\n')}\n`;

describe('EnvironmentFile syntax (systemd env-file parser)', () => {
  it('comments, quotes, escapes, continuation lines; blanks around unquoted values dropped; the later assignment wins', () => {
    const text = [
      '# comment',
      '; comment',
      'A=1',
      '  B = two words  ',
      'C="  quoted \\"x\\" \\$HOME \\n "',
      "D='single \\n $x'",
      'E=a\\',
      'b',
      'F=',
      'not an assignment',
      'A=2',
      'G=unterminated-at-eof',
    ].join('\n');
    expect(parseEnvironmentFile(text)).toEqual({
      A: '2',
      B: 'two words',
      C: '  quoted "x" $HOME \\n ',
      D: 'single \\n $x',
      E: 'ab',
      F: '',
      G: 'unterminated-at-eof',
    });
  });

  it('leaves out names systemd refuses (export X=, 1X=) and says so', () => {
    const ignored: string[] = [];
    expect(parseEnvironmentFile("export C='x'\n1X=2\nOK=3\n", (w) => ignored.push(w))).toEqual({ OK: '3' });
    expect(ignored).toEqual(['"export C": not a valid variable name', '"1X": not a valid variable name']);
  });
});

describe('Environment= syntax (systemd.exec)', () => {
  it("splits the man page's example into three assignments", () => {
    expect(splitWords('"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"', true).words).toEqual(['VAR1=word1 word2', 'VAR2=word3', 'VAR3=$word 5 6']);
  });

  it('single quotes, quotes inside a word, C escapes', () => {
    expect(splitWords(`'A=x y' B="p q"r C=\\x41\\sz D=tab\\there`, true).words).toEqual(['A=x y', 'B=p qr', 'C=A z', 'D=tab\there']);
  });

  it('an open quote or an unknown escape: the words before it are kept, the rest is not', () => {
    expect(splitWords('A=1 "B=2', true)).toEqual({ words: ['A=1'], error: 'unbalanced quoting (")' });
    expect(splitWords('A=1 B=\\q C=3', true)).toMatchObject({ words: ['A=1'], error: expect.stringContaining('unknown escape') });
  });

  it('unit file lines: sections, blanks around = and the value, comments, continuation lines', () => {
    const lines = parseUnitFile(
      '[Unit]\nEnvironment=NOT=service\n[Service]\n# c\n  Environment = A=1 \\\n; skipped inside a continuation\n  B=2\nExecStart=/x\n',
      'u',
    );
    expect(lines.map((l) => [l.section, l.key, l.value, l.line])).toEqual([
      ['Unit', 'Environment', 'NOT=service', 2],
      // systemd appends the next line as it is, after the backslash made a blank.
      ['Service', 'Environment', 'A=1    B=2', 5],
      ['Service', 'ExecStart', '/x', 8],
    ]);
  });
});

describe('the unit environment from its files', () => {
  it('drop-ins: lexical order across /etc, /run and /usr/lib; a same-named one in /etc wins; the dash prefix and service.d', () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      [`/usr/lib/systemd/system/${UNIT}.d/10-vendor.conf`]: service('Environment=V=usr-lib'),
      [`/run/systemd/system/${UNIT}.d/10-vendor.conf`]: service('Environment=V=run'),
      [`/etc/systemd/system/${UNIT}.d/10-vendor.conf`]: service('Environment=V=etc'),
      [`/run/systemd/system/${UNIT}.d/20-runtime.conf`]: service('Environment=R=run'),
      [`/etc/systemd/system/marketprism-.service.d/20-runtime.conf`]: service('Environment=R=etc-prefix'),
      [`/etc/systemd/system/${UNIT}.d/30-mine.conf`]: service('Environment=M=1'),
      [`/usr/lib/systemd/system/service.d/05-all.conf`]: service('Environment=S=all-services'),
      [`/etc/systemd/system/${UNIT}.d/README`]: 'not a .conf',
    });
    expect(dropInFiles(UNIT, r)).toEqual([
      '/usr/lib/systemd/system/service.d/05-all.conf',
      `/etc/systemd/system/${UNIT}.d/10-vendor.conf`,
      // /run's full-name directory and /etc's prefix directory: /etc comes first on the search path.
      '/etc/systemd/system/marketprism-.service.d/20-runtime.conf',
      `/etc/systemd/system/${UNIT}.d/30-mine.conf`,
    ]);
    const u = unitEnvironmentFromFiles(UNIT, { root: r });
    expect(u.env).toEqual({ V: 'etc', R: 'etc-prefix', M: '1', S: 'all-services' });
    expect(u.origins.M).toBe(`drop-in /etc/systemd/system/${UNIT}.d/30-mine.conf`);
    expect(u.via).toBe('files');
  });

  it('a drop-in linked to /dev/null masks the same-named one below it', () => {
    const r = root({ [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED, [`/usr/lib/systemd/system/${UNIT}.d/10-vendor.conf`]: service('Environment=V=usr-lib') });
    mkdirSync(join(r, `/etc/systemd/system/${UNIT}.d`), { recursive: true });
    symlinkSync('/dev/null', join(r, `/etc/systemd/system/${UNIT}.d/10-vendor.conf`));
    expect(unitEnvironmentFromFiles(UNIT, { root: r }).env).toEqual({});
    // The unit itself linked to /dev/null in /etc: masked, the packaged file below is not read.
    symlinkSync('/dev/null', join(r, `/etc/systemd/system/${UNIT}`));
    const masked = unitEnvironmentFromFiles(UNIT, { root: r });
    expect([masked.files, masked.notes]).toEqual([
      [],
      [`/etc/systemd/system/${UNIT} links to /dev/null: ${UNIT} is masked, systemd will not start it (systemctl unmask ${UNIT})`],
    ]);
  });

  it('an empty Environment= resets what came before; the unit file /etc overrides the packaged one', () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: service('Environment=FROM=usr-lib'),
      [`/etc/systemd/system/${UNIT}`]: service('Environment=FROM=etc A=1'),
      [`/etc/systemd/system/${UNIT}.d/10-a.conf`]: service('Environment=B=2'),
      [`/etc/systemd/system/${UNIT}.d/20-reset.conf`]: service('Environment=', 'Environment=C=3'),
    });
    const u = unitEnvironmentFromFiles(UNIT, { root: r });
    expect(u.env).toEqual({ C: '3' });
    expect(u.files[0]).toBe(`/etc/systemd/system/${UNIT}`);
  });

  it("EnvironmentFile= values override Environment='s, in the order named; - makes a file optional; a missing required one is a problem", () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      '/etc/default/marketprism-collector': 'HEALTH_CHECK_PORT=9001\nMETRICS_PORT=9002\n',
      [`/etc/systemd/system/${UNIT}.d/override.conf`]: service(
        'Environment=HEALTH_CHECK_PORT=7 LOG=x',
        'EnvironmentFile=-/etc/marketprism/env.d/*.env',
        'EnvironmentFile=-/etc/marketprism/missing',
      ),
      '/etc/marketprism/env.d/a.env': 'METRICS_PORT=9100\n',
      '/etc/marketprism/env.d/b.env': 'METRICS_PORT=9200\n',
    });
    const u = unitEnvironmentFromFiles(UNIT, { root: r });
    expect(u.env).toEqual({ HEALTH_CHECK_PORT: '9001', METRICS_PORT: '9200', LOG: 'x' });
    expect(u.origins).toMatchObject({
      HEALTH_CHECK_PORT: 'EnvironmentFile /etc/default/marketprism-collector',
      METRICS_PORT: 'EnvironmentFile /etc/marketprism/env.d/b.env',
      LOG: `drop-in /etc/systemd/system/${UNIT}.d/override.conf`,
    });
    expect(u.problems).toEqual([]);
    expect(expandGlob('/etc/marketprism/env.d/*.env', r)).toEqual(['/etc/marketprism/env.d/a.env', '/etc/marketprism/env.d/b.env']);

    writeFileSync(join(r, `/etc/systemd/system/${UNIT}.d/required.conf`), service('EnvironmentFile=/etc/marketprism/required'));
    expect(unitEnvironmentFromFiles(UNIT, { root: r }).problems).toEqual([
      {
        file: `/etc/systemd/system/${UNIT}.d/required.conf`,
        key: 'EnvironmentFile',
        reason: '/etc/marketprism/required does not exist: systemd refuses to start the unit (prefix it with - to make it optional)',
      },
    ]);
  });

  it('an empty EnvironmentFile= resets the list; specifiers are resolved; invalid assignments are noted and left out', () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      '/etc/default/marketprism-collector': 'A=from-default\n',
      [`/etc/systemd/system/${UNIT}.d/x.conf`]: service('EnvironmentFile=', 'Environment=UNIT=%n PCT=100%% =bad 9X=1 "Q=a b'),
    });
    const u = unitEnvironmentFromFiles(UNIT, { root: r });
    expect(u.env).toEqual({ UNIT, PCT: '100%' });
    expect(u.notes).toEqual([
      `/etc/systemd/system/${UNIT}.d/x.conf:3: Environment= "=bad": not a NAME=value assignment, ignored (as systemd does)`,
      `/etc/systemd/system/${UNIT}.d/x.conf:3: Environment= "9X=1": not a NAME=value assignment, ignored (as systemd does)`,
      `/etc/systemd/system/${UNIT}.d/x.conf:3: Environment=: unbalanced quoting ("): the rest of the line is ignored (as systemd does)`,
    ]);
  });

  it("without a unit file: the packaged unit's EnvironmentFiles", () => {
    const r = root({ '/etc/default/marketprism-collector': 'METRICS_PORT=9300\n' });
    const u = unitEnvironmentFromFiles(UNIT, { root: r, defaultEnvFiles: ['/etc/default/marketprism-collector'] });
    expect([u.via, u.env, u.origins.METRICS_PORT]).toEqual(['defaults', { METRICS_PORT: '9300' }, 'EnvironmentFile /etc/default/marketprism-collector']);
  });
});

describe('the unit environment from systemctl show', () => {
  it('reads Environment= as systemctl quotes it and the EnvironmentFiles it lists; origins from the files where they agree', () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      [`/etc/systemd/system/${UNIT}.d/port.conf`]: service('Environment=HEALTH_CHECK_PORT=9100'),
    });
    const fromFiles = unitEnvironmentFromFiles(UNIT, { root: r });
    const show = parseSystemctlShow(
      [
        'LoadState=loaded',
        'Environment=HEALTH_CHECK_PORT=9100 "MARKETPRISM_VENUES__OKX_SPOT__SYMBOLS=[BTC-USDT, ETH-USDT]" "Q=a \\"b\\" \\$c"',
        'EnvironmentFiles=/nonexistent/marketprism-test-optional (ignore_errors=yes)',
        'FragmentPath=/usr/lib/systemd/system/marketprism-collector.service',
        `DropInPaths=/etc/systemd/system/${UNIT}.d/port.conf`,
        'NeedDaemonReload=yes',
      ].join('\n'),
    );
    const u = unitEnvironmentFromShow(UNIT, show, fromFiles);
    expect(u.env).toEqual({ HEALTH_CHECK_PORT: '9100', MARKETPRISM_VENUES__OKX_SPOT__SYMBOLS: '[BTC-USDT, ETH-USDT]', Q: 'a "b" $c' });
    expect(u.origins.HEALTH_CHECK_PORT).toBe(`drop-in /etc/systemd/system/${UNIT}.d/port.conf`);
    expect(u.origins.Q).toBe(`unit ${UNIT} (systemctl show)`);
    expect(u.files).toEqual(['/usr/lib/systemd/system/marketprism-collector.service', `/etc/systemd/system/${UNIT}.d/port.conf`]);
    expect(u.problems).toEqual([]);
    expect(u.notes[0]).toContain('until systemctl daemon-reload');
  });
});

describe('marketprism check-config --root', () => {
  const config = root({ '/collector.yaml': 'health:\n  port: 8187\nvenues:\n  okx_spot:\n    symbols: [BTC-USDT]\n' });
  const file = join(config, 'collector.yaml');

  it('names the drop-in that set a key, and the EnvironmentFile another', async () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      '/etc/default/marketprism-collector': 'METRICS_PORT=9301\n',
      [`/etc/systemd/system/${UNIT}.d/port.conf`]: service('Environment=HEALTH_CHECK_PORT=9101 MARKETPRISM_LOG_LEVEL=debug'),
    });
    const out = await cli('check-config', 'collector', '--config', file, '--root', r);
    expect(out.code, out.out).toBe(0);
    const row = (key: string) => checkConfigRow(out.out, key);
    expect(row('health.port')).toEqual(['health.port', '9101', `env HEALTH_CHECK_PORT (drop-in /etc/systemd/system/${UNIT}.d/port.conf)`]);
    expect(row('metrics.port')).toEqual(['metrics.port', '9301', 'env METRICS_PORT (EnvironmentFile /etc/default/marketprism-collector)']);
    expect(row('log_level')).toEqual(['log_level', 'debug', `env MARKETPRISM_LOG_LEVEL (drop-in /etc/systemd/system/${UNIT}.d/port.conf)`]);

    const json = await cli('check-config', 'collector', '--config', file, '--root', r, '--json');
    const [c] = JSON.parse(json.out) as { env_origins: Record<string, string> }[];
    expect(c!.env_origins.HEALTH_CHECK_PORT).toBe(`drop-in /etc/systemd/system/${UNIT}.d/port.conf`);
  });

  it('a bad value from a drop-in is an error naming the variable; a missing required EnvironmentFile one naming the drop-in; exit 1', async () => {
    const r = root({
      [`/usr/lib/systemd/system/${UNIT}`]: PACKAGED,
      [`/etc/systemd/system/${UNIT}.d/port.conf`]: service('Environment=HEALTH_CHECK_PORT=70000', 'EnvironmentFile=/etc/marketprism/gone'),
    });
    const out = await cli('check-config', 'collector', '--config', file, '--root', r);
    expect(out.code).toBe(1);
    expect(out.out).toContain(`error: ${file}: health.port: must be between 1 and 65535, got 70000 (set by environment variable HEALTH_CHECK_PORT)`);
    expect(out.out).toContain(`error: /etc/systemd/system/${UNIT}.d/port.conf: EnvironmentFile: /etc/marketprism/gone does not exist`);
  });
});
