// @suite/uuid against uuid@14 and node:crypto randomUUID, in one run; prints ops/s and the ratio targets.
// Each task runs a batch of BATCH calls per sample so that the timer's cost does not flatten the ratios.
// `npm run bench -- uuid` in packages/uuid (build first: `npx tsup`).
import { randomUUID } from 'node:crypto';
import { Bench } from 'tinybench';
import * as peer from 'uuid';
// What `import '@suite/uuid'` loads in Node (the `node` condition: pools filled by randomFillSync).
import * as ours from '../dist/node/main.js';

const BATCH = 1000;
const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 700), warmupTime: 200 });
let sink;
const add = (name, fn) =>
  bench.add(name, () => {
    for (let i = 0; i < BATCH; i++) sink = fn();
  });

const sample = ours.v4();
const sampleBytes = ours.parse(sample);
const NS = ours.v5.DNS;

add('randomUUID', () => randomUUID());
add('ours v4', () => ours.v4());
add('uuid v4', () => peer.v4());
add('ours v7', () => ours.v7());
add('uuid v7', () => peer.v7());
add('ours v1', () => ours.v1());
add('uuid v1', () => peer.v1());
add('ours v6', () => ours.v6());
add('uuid v6', () => peer.v6());
add('ours parse', () => ours.parse(sample));
add('uuid parse', () => peer.parse(sample));
add('ours stringify', () => ours.stringify(sampleBytes));
add('uuid stringify', () => peer.stringify(sampleBytes));
add('ours validate', () => ours.validate(sample));
add('uuid validate', () => peer.validate(sample));
add('ours v5', () => ours.v5('www.example.com', NS));
add('uuid v5', () => peer.v5('www.example.com', NS));
add('ours v3', () => ours.v3('www.example.com', NS));
add('uuid v3', () => peer.v3('www.example.com', NS));

await bench.run();
if (sink === undefined) throw new Error('benchmark produced nothing');

const ops = Object.fromEntries(bench.tasks.map((t) => [t.name, (t.result?.throughput?.mean ?? 0) * BATCH]));
console.log(
  `node ${process.version}, uuid ${(await import('uuid/package.json', { with: { type: 'json' } })).default.version}`,
);
for (const [name, n] of Object.entries(ops))
  console.log(`${name.padEnd(26)} ${(n / 1e6).toFixed(2).padStart(8)} M ops/s`);

const targets = [
  ['v4 vs randomUUID', 'ours v4', 'randomUUID', 0.9],
  ['v4 vs uuid v4', 'ours v4', 'uuid v4', undefined],
  ['v7 vs uuid v7', 'ours v7', 'uuid v7', 10],
  ['v7 vs randomUUID', 'ours v7', 'randomUUID', 0.5],
  ['v1 vs uuid v1', 'ours v1', 'uuid v1', 10],
  ['v6 vs uuid v6', 'ours v6', 'uuid v6', 10],
  ['parse vs uuid', 'ours parse', 'uuid parse', 2],
  ['stringify vs uuid', 'ours stringify', 'uuid stringify', 2],
  ['validate vs uuid', 'ours validate', 'uuid validate', undefined],
  ['v5 vs uuid v5', 'ours v5', 'uuid v5', 1],
  ['v3 vs uuid v3', 'ours v3', 'uuid v3', undefined],
];
console.log('\nratio                        value   target');
let missed = 0;
for (const [label, a, b, target] of targets) {
  const r = (ops[a] ?? 0) / (ops[b] ?? 1);
  const verdict = target === undefined ? '' : r >= target ? `>= ${target}  ok` : `>= ${target}  MISSED`;
  if (target !== undefined && r < target) missed++;
  console.log(`${label.padEnd(26)} ${r.toFixed(2).padStart(7)}x   ${verdict}`);
}
console.log(missed === 0 ? '\nall targets met' : `\n${missed} target(s) missed`);
