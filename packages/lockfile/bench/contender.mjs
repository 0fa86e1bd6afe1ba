// One contender of lockfile.bench.mjs: waits until the common start time, then runs critical sections until the
// common end time, each reading a counter file and writing it back plus one under the lock; prints how many it
// ran. The sum over all contenders must equal the counter (no lost updates). With `suite-shared` the sections take a
// shared lock and only read the counter (they may run together).
import { readFileSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { withLock } from '../dist/node/index.js';

const [library, path, counter, startAt, endAt] = process.argv.slice(2);
const end = Number(endAt);

// The same waiting policy for both: exponential backoff from 1 ms to 100 ms with jitter.
const ours = { timeout: Number.POSITIVE_INFINITY, backoff: { min: 1, max: 100 }, realpath: false };
const theirs = {
  realpath: false,
  retries: { retries: 2_000, factor: 2, minTimeout: 1, maxTimeout: 100, randomize: true },
};

// A plain read-modify-write with no atomicity of its own. The file is overwritten in place ('r+': the number
// only grows, so nothing needs truncating): truncating would free and reallocate a block each time, which on a
// journaling file system costs milliseconds and would measure the disk instead of the locks.
let done = 0;
function criticalSection() {
  // Checked under the lock: a section that starts before the end counts, none starts after it.
  if (Date.now() >= end) return false;
  const value = Number(readFileSync(counter, 'utf8'));
  writeFileSync(counter, String(value + 1), { flag: 'r+' });
  done++;
  return true;
}

const wait = Number(startAt) - Date.now();
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
function readingSection() {
  if (Date.now() >= end) return false;
  Number(readFileSync(counter, 'utf8'));
  done++;
  return true;
}

for (let more = true; more; ) {
  if (library === 'suite-shared') {
    more = await withLock(path, readingSection, { ...ours, shared: true });
  } else if (library === 'suite') {
    more = await withLock(path, criticalSection, ours);
  } else {
    const release = await lockfile.lock(path, theirs);
    more = criticalSection();
    await release();
  }
}
process.stdout.write(`${done}\n`);
