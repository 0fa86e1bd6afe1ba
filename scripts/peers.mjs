// The real programs some tests compare against or drive (the "peers"), the Debian packages that provide them, and
// `npm run peers`, which installs the missing ones. Tests reach this table through apps/cli/test/_peers.ts.
//
//   node scripts/peers.mjs            install the missing peers (as root, or through passwordless sudo), or say why not
//   node scripts/peers.mjs --auto     the same, but quietly do nothing when installing is not possible (npm test)
//   node scripts/peers.mjs --summary  one line naming the missing packages and the command that installs them
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @type {readonly import('./peers.d.mts').Peer[]} */
export const PEERS = [
  { name: 'uuidgen', path: '/usr/bin/uuidgen', deb: 'uuid-runtime' },
  { name: 'uuidparse', path: '/usr/bin/uuidparse', deb: 'uuid-runtime' },
  { name: 'uuidd', path: '/usr/sbin/uuidd', deb: 'uuid-runtime' },
  { name: 'exim4', path: '/usr/sbin/exim4', deb: 'exim4-daemon-light' },
  { name: 'gpg', path: '/usr/bin/gpg', deb: 'gnupg' },
  { name: 'chromium', path: '/usr/bin/chromium', deb: 'chromium' },
  { name: 'promtool', path: '/usr/bin/promtool', deb: 'prometheus' },
  // PostgreSQL (the fleet's tests) is not here: they run only under Node >= 22.12, which `npm test` on Node 20
  // does not use; .ci/run installs it for its Node 24 pass.
];

/** The command a person runs to install the missing peers. */
export const INSTALL_COMMAND = 'npm run peers';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The peers of `names` (every peer when omitted) that are not installed. `SUITE_PEERS_MISSING=uuidd,exim4` makes
 * installed peers count as missing, to see what a machine without them does.
 */
export function missingPeers(names) {
  const pretend = (process.env.SUITE_PEERS_MISSING ?? '').split(',');
  return PEERS.filter(
    (p) =>
      (names === undefined || names.includes(p.name)) &&
      (pretend.includes(p.name) || !executable(p.path) || !configured(p.deb)),
  );
}

/** Whether dpkg says `deb` is installed and configured (a failed postinst leaves its files but not the package). */
function configured(deb) {
  if (!executable('/usr/bin/dpkg-query')) return true; // not Debian: the program being there is all we can know
  if (!(deb in dpkgStatus)) {
    const r = spawnSync('/usr/bin/dpkg-query', ['-W', `-f=\${Status}`, deb], { encoding: 'utf8' });
    dpkgStatus[deb] = r.status === 0 && r.stdout.trim() === 'install ok installed';
  }
  return dpkgStatus[deb];
}
const dpkgStatus = {};

/** The Debian packages that provide `peers`, each once. */
export function debsOf(peers) {
  return [...new Set(peers.map((p) => p.deb))];
}

/** How to run apt-get here: `[]` as root, `['sudo', '-n']` with passwordless sudo, or a reason it cannot. */
function privilege() {
  if (!executable('/usr/bin/apt-get')) return { reason: 'apt-get is not available (not Debian or Ubuntu)' };
  if (process.getuid?.() === 0) return { prefix: [] };
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  if (sudo.status === 0) return { prefix: ['sudo', '-n'] };
  return { reason: 'not root, and sudo needs a password or is missing' };
}

function apt(prefix, args) {
  const [cmd, ...rest] = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
  return spawnSync(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
}

/** Installs the missing peers' packages; returns 0, or 1 when something stays missing (unless `quiet`). */
function install({ quiet }) {
  const debs = debsOf(missingPeers());
  if (debs.length === 0) {
    if (!quiet) console.log('peers: every peer is installed');
    return 0;
  }
  const how = privilege();
  if (how.reason) {
    console.log(`peers: ${debs.join(', ')} missing; cannot install them: ${how.reason}`);
    if (!quiet) console.log(`peers: as root, run: apt-get install --no-install-recommends ${debs.join(' ')}`);
    return quiet ? 0 : 1;
  }
  console.log(`peers: installing ${debs.join(' ')} (the real programs some tests compare against)`);
  const args = ['install', '-y', '-qq', '--no-install-recommends', ...debs];
  // A fresh machine may have no package lists yet; update once if the first attempt fails.
  const ok = apt(how.prefix, args) || (apt(how.prefix, ['update', '-qq']) && apt(how.prefix, args));
  for (const deb of debs) delete dpkgStatus[deb];
  const still = debsOf(missingPeers());
  if (!ok || still.length > 0) {
    console.log(
      `peers: could not install ${still.join(', ') || debs.join(', ')}; their tests will be skipped`,
    );
    return quiet ? 0 : 1;
  }
  return 0;
}

function summary() {
  const missing = missingPeers();
  if (missing.length === 0) return;
  console.log(
    `peers: skipped the tests that need ${missing.map((p) => p.name).join(', ')} (missing Debian packages: ` +
      `${debsOf(missing).join(', ')}); install them with \`${INSTALL_COMMAND}\``,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  if (mode === '--summary') summary();
  else if (mode === '--auto') process.exitCode = install({ quiet: true });
  else if (mode === undefined) process.exitCode = install({ quiet: false });
  else {
    console.error(`usage: node scripts/peers.mjs [--auto | --summary]`);
    process.exitCode = 2;
  }
}
