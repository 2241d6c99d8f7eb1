/** One command table (src/cli/commands.ts) behind --help, the option parsing, bash completion and the man page. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, bashCompletion, manPage, parseCommand } from '../../src/cli/commands.js';
import { DAEMON_PAGES, daemonManPage, daemonUsage } from '../../src/core/daemon-help.js';
import { VENUE_KINDS } from '../../src/collector/venues/registry.js';
import { cli } from '../helpers/cli.js';

const COMPLETION = 'packaging/completion/marketprism.bash';
const MAN = 'packaging/man/marketprism.1';

/** What bash completes after `words` (the last one being completed), with the shipped script. */
function complete(...words: string[]): string[] {
  const script = `source ${COMPLETION}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _marketprism; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('the command table', () => {
  it('the shipped completion and man page are the ones the table makes (regenerate: marketprism completion bash, marketprism man)', () => {
    expect(readFileSync(COMPLETION, 'utf8')).toBe(bashCompletion());
    expect(readFileSync(MAN, 'utf8')).toBe(manPage());
  });

  it('--help names every command and option', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of COMMANDS) {
      expect(r.out).toContain(`marketprism ${c.words.join(' ')}`);
      for (const o of c.options) expect(r.out).toMatch(new RegExp(`marketprism ${c.words.join(' ')}.*\\[${o.name}[ \\]]`));
    }
  });

  it('bash completes commands, options and their values from the same table', () => {
    expect(complete('marketprism', 'st')).toEqual(['streams', 'status']);
    expect(complete('marketprism', 'streams', '')).toEqual(['ensure']);
    expect(complete('marketprism', 'integrity', '--')).toEqual(COMMANDS.find((c) => c.words[0] === 'integrity')!.options.map((o) => o.name));
    expect(complete('marketprism', 'health', 's')).toEqual(['storage', 'storage-cold']);
    expect(complete('marketprism', 'query', '--format', 'CSV')).toEqual(['CSV', 'CSVWithNames']);
    expect(complete('marketprism', 'check-config', '--module', 'b')).toEqual(['broker']);
  });

  it('the man page renders without a roff warning', () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    if (r.error) throw new Error(`groff is needed to check the man page: ${r.error.message}`);
    expect(r.stderr).toBe('');
    // eslint-disable-next-line no-control-regex -- groff's overstrike (bold, underline) of a terminal page
    const text = execFileSync('groff', ['-man', '-Tascii', MAN], { encoding: 'utf8' }).replace(/.\x08/g, '');
    expect(text).toMatch(/marketprism\s+integrity\s+\[--since\s+DURATION\]/);
  });

  it('an unknown option or a missing value is an error naming it', async () => {
    expect(() => parseCommand(['status', '--jsno'])).toThrow('status: unknown option --jsno');
    expect(() => parseCommand(['integrity', '--since'])).toThrow('--since needs a value (DURATION)');
    // logs passes journalctl's options through.
    expect(parseCommand(['logs', 'collector', '-f', '--since', 'today'])!.rest).toEqual(['collector', '-f', '--since', 'today']);
    expect(await cli('status', '--jsno')).toEqual({ code: 1, out: 'marketprism: status: unknown option --jsno; try marketprism --help\n' });
    expect((await cli('nonsense')).code).toBe(2);
  });

  it("each daemon has a man page and a --help from one table, shipped as made; the venue list is the registry's", () => {
    for (const m of ['broker', 'collector', 'storage'] as const) {
      const file = `packaging/man/marketprism-${m}.1`;
      expect(readFileSync(file, 'utf8')).toBe(daemonManPage(m));
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      expect(r.stderr).toBe('');
      const help = execFileSync(process.execPath, [`bin/marketprism-${m}.js`, '--help'], { encoding: 'utf8' });
      expect(help.trim()).toBe(daemonUsage(m));
    }
    for (const c of Object.values(DAEMON_PAGES.collector.commands)) expect(c.synopsis).toContain(`--venue ${VENUE_KINDS.join('|')} `);
  });
});
