// Start-up benchmark of the one-shot commands: each bin against `node -e 0` (Node's own floor) with the same node,
// runs alternating so that machine load hits both alike, the median of the per-pair ratios; then the shell loop
// `for i in $(seq 200); do uuidgen; done` with our uuidgen against util-linux's /usr/bin/uuidgen, also alternating.
//
//   npm run bench                                  # in apps/cli; this node, 31 pairs per command, 3 loops
//   node bench/startup.bench.mjs --runs 51 --loops 7 --node "$(npx -y node@24 -p process.execPath)"
//
// The compile cache (Node >= 22.1) lives in NODE_COMPILE_CACHE when set, else under the OS temp dir; one warm-up run
// of each command fills it before timing, as any second call of a command would find it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const node = option('--node', process.execPath);
const runs = Number(option('--runs', '31'));
const loops = Number(option('--loops', '3'));
const bins = resolve(option('--bins', resolve(import.meta.dirname, '..', 'bin')));

const work = mkdtempSync(join(tmpdir(), 'suite-startup-'));
const packages = join(work, 'pk');
writeFileSync(packages, '# X\npackage=x11\nsite=ftp.x.org\nremote_dir=/pub/X11\n');
const UUID = '0e4d9a52-ffb9-11ee-b962-0242ac120002';

const commands = [
  ['uuidgen', []],
  ['uuidparse', [UUID]],
  ['lock', [join(work, 'lockfile'), 'true']],
  ['pkgs_to_mmin', [packages]],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function time(file, argv, options = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: work, ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${argv.join(' ')}: status ${r.status}: ${r.stderr}`);
  return ms;
}

const version = spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
const cache = spawnSync(node, ['-p', "typeof require('node:module').enableCompileCache"], {
  encoding: 'utf8',
});
console.log(
  `startup bench: node ${version} (compile cache ${cache.stdout.trim() === 'function' ? 'available' : 'absent'}), ` +
    `${runs} alternating pairs per command, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log('| command | node -e 0 (ms, median) | command (ms, median) | median ratio |');
console.log('|---|---|---|---|');
for (const [name, argv] of commands) {
  // The file the command runs: bin/NAME.cjs where there is one (package.json's "bin"), else bin/NAME.js.
  const file = existsSync(join(bins, `${name}.cjs`)) ? join(bins, `${name}.cjs`) : join(bins, `${name}.js`);
  const full = [file, ...argv];
  time(node, full); // warm-up: page cache, and the compile cache where there is one
  const floor = [];
  const cmd = [];
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    const first = i % 2 === 0;
    const a = first ? time(node, ['-e', '0']) : undefined;
    const b = time(node, full);
    const c = first ? a : time(node, ['-e', '0']);
    floor.push(c);
    cmd.push(b);
    ratios.push(b / c);
  }
  console.log(
    `| ${name} ${argv.map((a) => a.replace(work, '$T')).join(' ')} | ${median(floor).toFixed(1)} | ` +
      `${median(cmd).toFixed(1)} | ${median(ratios).toFixed(2)}× |`,
  );
}

// The shell loop, with `uuidgen` found on PATH as a user runs it: our bin (through a symlink, its #! line finding the
// chosen node first on PATH) against util-linux's.
const peer = '/usr/bin/uuidgen';
if (loops === 0) {
  console.log('\n--loops 0: the 200-call loop is skipped');
} else if (existsSync(peer)) {
  const ours = join(work, 'ours');
  const theirs = join(work, 'theirs');
  for (const dir of [ours, theirs]) spawnSync('mkdir', [dir]);
  const ourUuidgen = existsSync(join(bins, 'uuidgen.cjs')) ? 'uuidgen.cjs' : 'uuidgen.js'; // package.json's "bin"
  symlinkSync(join(bins, ourUuidgen), join(ours, 'uuidgen'));
  symlinkSync(peer, join(theirs, 'uuidgen'));
  const loop = 'for i in $(seq 200); do uuidgen; done >/dev/null';
  const env = (dir) => ({ env: { ...process.env, PATH: `${dir}:${dirname(node)}:${process.env.PATH}` } });
  const a = [];
  const b = [];
  for (let i = 0; i < loops; i++) {
    a.push(time('sh', ['-c', loop], env(ours)));
    b.push(time('sh', ['-c', loop], env(theirs)));
  }
  const ra = median(a);
  const rb = median(b);
  console.log(
    `\n\`${loop}\`, median of ${loops} alternating: suite ${ra.toFixed(0)} ms (${(ra / 200).toFixed(1)} ms per call), ` +
      `util-linux ${rb.toFixed(0)} ms (${(rb / 200).toFixed(2)} ms per call): ${(ra / rb).toFixed(0)}×; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
} else {
  console.log(`\n${peer} is missing (Debian: apt-get install uuid-runtime): the 200-call loop is skipped`);
}
rmSync(work, { recursive: true, force: true });
