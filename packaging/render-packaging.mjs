// The packages and units from one description (packaging/packages.yaml):
//   node packaging/render-packaging.mjs nfpm MODULE OUT     the nfpm config of marketprism-MODULE
//   node packaging/render-packaging.mjs unit UNIT OUT       a unit, from systemd/marketprism.service.in
//   node packaging/render-packaging.mjs get MODULE KEY      a value for scripts/package.sh (units,
//        optional_units, state_dirs, drop_modules, alternative_priority), space-separated
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DESCRIPTION = join(ROOT, 'packaging/packages.yaml');
const { packages } = parse(readFileSync(DESCRIPTION, 'utf8'));

function fail(msg) {
  console.error(`render-packaging: ${msg}`);
  process.exit(2);
}

function pkg(module) {
  const p = packages[module];
  if (!p) fail(`${DESCRIPTION} has no package ${JSON.stringify(module)} (has: ${Object.keys(packages).join(', ')})`);
  for (const key of ['summary', 'description', 'drop_modules', 'alternative_priority', 'configs', 'units']) {
    if (p[key] === undefined) fail(`${DESCRIPTION}: packages.${module}.${key} is missing`);
  }
  return p;
}

const units = (p, enabled) => Object.keys(p.units).filter((u) => p.units[u].enabled === enabled);
const stateDirs = (p) => Object.values(p.units).map((u) => `/var/lib/marketprism/${u.state}`);

function unitOf(name) {
  for (const [module, p] of Object.entries(packages)) if (p.units?.[name]) return { module, u: p.units[name] };
  return fail(`${DESCRIPTION} has no unit ${JSON.stringify(name)}`);
}

function renderUnit(name) {
  const { module, u } = unitOf(name);
  for (const key of ['about', 'description', 'config', 'state', 'watchdog_sec', 'ready']) {
    if (u[key] === undefined) fail(`${DESCRIPTION}: unit ${name}: ${key} is missing`);
  }
  const comment = (text) =>
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `# ${l}\n`)
      .join('');
  const slots = {
    UNIT: name,
    PACKAGE: `marketprism-${module}`,
    ABOUT: u.about,
    NOTE: u.enabled ? '' : `# Disabled by default: systemctl enable --now ${name}\n`,
    DESCRIPTION: u.description,
    AFTER: u.after ? `# Ordering only: on a single-host install the broker starts first; it is not required.\nAfter=${u.after}\n` : '',
    READY: comment(u.ready),
    SERVICE_EXTRA: u.service_extra ?? '',
    WATCHDOG_SEC: String(u.watchdog_sec),
    CONFIG: u.config,
    STATE: u.state,
  };
  const template = readFileSync(join(ROOT, 'systemd/marketprism.service.in'), 'utf8').replace(/^#%.*\n/gm, '');
  return template.replace(/@([A-Z_]+)@/g, (m, slot) => (slot in slots ? slots[slot] : fail(`systemd/marketprism.service.in: unknown slot ${m}`)));
}

function renderNfpm(module) {
  const p = pkg(module);
  const name = `marketprism-${module}`;
  const lib = `/usr/lib/marketprism/${module}`;
  const f644 = '{mode: 0644}';
  const lines = [
    `# nfpm: ${name} (deb and rpm), written by packaging/render-packaging.mjs from packaging/packages.yaml.`,
    `name: ${name}`,
    'arch: amd64',
    'platform: linux',
    'version: ${MP_VERSION}',
    'release: "1"',
    'section: net',
    'priority: optional',
    'maintainer: MarketPrism developers <dev@marketprism.invalid>',
    'license: MIT',
    'changelog: changelog.yaml',
    'description: |-',
    ...p.description.split('\n').map((l) => `  ${l}`),
    // The bundled node and addons need libc, libstdc++, libgcc_s and libsystemd (ldd); the maintainer
    // scripts need systemd-sysusers, systemctl, update-alternatives and runuser; the broker starts
    // nats-server through setpriv (runuser and setpriv: util-linux).
    'depends: [libc6, libstdc++6, libgcc-s1, libsystemd0, systemd, "util-linux (>= 2.33)"]',
    'overrides:',
    '  rpm:',
    '    depends: ["libc.so.6()(64bit)", "libstdc++.so.6()(64bit)", "libgcc_s.so.1()(64bit)", "libsystemd.so.0()(64bit)", systemd, /usr/sbin/update-alternatives, util-linux]',
    // The rpm's post-install registers the CLI's alternative without the deb's slaves (scripts/package.sh).
    '    scripts:',
    '      postinstall: scripts/postinstall-rpm.sh',
    'rpm:',
    `  summary: ${p.summary}`,
    '  group: System Environment/Daemons',
    '  compression: zstd',
    'scripts:',
    ...['preinstall', 'postinstall', 'preremove', 'postremove'].map((s) => `  ${s}: scripts/${s}.sh`),
    'contents:',
    `  - {src: app, dst: ${lib}/app, type: tree}`,
    `  - {src: node, dst: ${lib}/node, type: tree}`,
    `  - {src: lib-bin, dst: ${lib}/bin, type: tree}`,
    // nfpm's deb leaves out entries of type doc: the man page is a plain file there, %doc in the rpm.
    `  - {src: man/${name}.1.gz, dst: /usr/share/man/man1/${name}.1.gz, file_info: ${f644}, packager: deb}`,
    `  - {src: man/${name}.1.gz, dst: /usr/share/man/man1/${name}.1.gz, type: doc, file_info: ${f644}, packager: rpm}`,
    // marketprism(1) and the CLI's bash completion: on deb, slaves of the /usr/bin/marketprism
    // alternative (dpkg refuses a path two packages ship); rpm lets packages share a path whose
    // contents are identical, so each rpm ships them in place.
    `  - {src: lib-share, dst: ${lib}/share, type: tree, packager: deb}`,
    `  - {src: lib-share/marketprism.1.gz, dst: /usr/share/man/man1/marketprism.1.gz, type: doc, file_info: ${f644}, packager: rpm}`,
    `  - {src: lib-share/marketprism.bash, dst: /usr/share/bash-completion/completions/marketprism, file_info: ${f644}, packager: rpm}`,
    `  - {src: bin/${name}, dst: /usr/bin/${name}, file_info: {mode: 0755}}`,
    // /usr/bin/marketprism is an alternative (update-alternatives in the maintainer scripts); rpm
    // lists the generic link and the ghost of its /etc/alternatives link, as rpm packages do.
    '  - {src: /etc/alternatives/marketprism, dst: /usr/bin/marketprism, type: symlink, packager: rpm}',
    '  - {dst: /etc/alternatives/marketprism, type: ghost, file_info: {mode: 0120777}, packager: rpm}',
    ...Object.keys(p.units).map((u) => `  - {src: ${u}.service, dst: /usr/lib/systemd/system/${u}.service, file_info: ${f644}}`),
    `  - {src: sysusers.conf, dst: /usr/lib/sysusers.d/${name}.conf, file_info: ${f644}}`,
    '  - {dst: /etc/marketprism, type: dir, file_info: {mode: 0755}}',
    ...p.configs.map(
      (c) => `  - {src: etc/${c}, dst: /etc/marketprism/${c}, type: config|noreplace, file_info: {mode: 0640, owner: root, group: marketprism}}`,
    ),
    `  - {src: etc/default, dst: /etc/default/${name}, type: config|noreplace, file_info: ${f644}}`,
    '  - {dst: /var/lib/marketprism, type: dir, file_info: {mode: 0755}}',
    ...stateDirs(p).map((d) => `  - {dst: ${d}, type: dir, file_info: {mode: 0750, owner: marketprism, group: marketprism}}`),
    `  - {src: doc/copyright, dst: /usr/share/doc/${name}/copyright, file_info: ${f644}, packager: deb}`,
    `  - {src: doc/copyright, dst: /usr/share/licenses/${name}/copyright, type: license, file_info: ${f644}, packager: rpm}`,
    `  - {src: doc/operations.md, dst: /usr/share/doc/${name}/operations.md, file_info: ${f644}, packager: deb}`,
    `  - {src: doc/operations.md, dst: /usr/share/doc/${name}/operations.md, type: doc, file_info: ${f644}, packager: rpm}`,
    ...(p.share_files?.length
      ? [
          '  - {dst: /usr/share/marketprism, type: dir, file_info: {mode: 0755}}',
          ...(p.share_dirs ?? []).map((d) => `  - {dst: /usr/share/marketprism/${d}, type: dir, file_info: {mode: 0755}}`),
          ...p.share_files.map((f) => `  - {src: share/${f}, dst: /usr/share/marketprism/${f}, file_info: ${f644}}`),
        ]
      : []),
    `  - {src: lintian-overrides, dst: /usr/share/lintian/overrides/${name}, file_info: ${f644}, packager: deb}`,
  ];
  return `${lines.join('\n')}\n`;
}

function get(module, key) {
  const p = pkg(module);
  const values = {
    units: () => units(p, true).map((u) => `${u}.service`),
    optional_units: () => units(p, false).map((u) => `${u}.service`),
    state_dirs: () => stateDirs(p),
    drop_modules: () => p.drop_modules,
    alternative_priority: () => [p.alternative_priority],
    share_files: () => p.share_files ?? [],
  }[key];
  if (!values) fail(`get: no key ${JSON.stringify(key)}`);
  return values().join(' ');
}

const [command, arg, out] = process.argv.slice(2);
if (command === 'nfpm' && out) writeFileSync(out, renderNfpm(arg));
else if (command === 'unit' && out) writeFileSync(out, renderUnit(arg));
else if (command === 'get' && out) console.log(get(arg, out));
else fail('usage: render-packaging.mjs nfpm MODULE OUT | unit UNIT OUT | get MODULE KEY');
