// A fleet worker in a process of its own, for the fault tests:
//   node worker-process.mjs URL SCHEMA NAME MAX LEASE_MS EVENTS [END_DELAY_MS]
// Each event is appended to EVENTS as a JSON line. END_DELAY_MS holds back the news of each job's exit, so that a
// test can kill the worker after a mirror has exited and before its end is recorded. SIGTERM stops it cleanly.
import { appendFileSync } from 'node:fs';
import { connectFleet, fleetExecutor, runFleetWorker } from '../../dist/pg-boss/index.js';

const [url, schema, name, max, leaseMs, events, endDelay = '0'] = process.argv.slice(2);
const fleet = await connectFleet({ url, schema });
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const log = (e) =>
  appendFileSync(
    events,
    `${JSON.stringify({ type: e.type, id: e.job?.id, pid: e.pid, ok: e.ok, message: e.message, worker: name, at: Date.now() })}\n`,
  );
const executor = fleetExecutor({
  output: 'ignore',
  ...(process.env.MM_TEST_FORK_HELPER ? { forkHelper: process.env.MM_TEST_FORK_HELPER === '1' } : {}),
});
const delayed = {
  async start(job) {
    const p = await executor.start(job);
    const delay = Number(endDelay);
    if (!delay) return p;
    return {
      ...p,
      kill: p.kill,
      exited: p.exited.then((r) => new Promise((ok) => setTimeout(() => ok(r), delay))),
    };
  },
};
await runFleetWorker(fleet, {
  name,
  max: Number(max),
  leaseMs: Number(leaseMs),
  pollMs: 50,
  killGraceMs: 500,
  executor: delayed,
  signal: stop.signal,
  onEvent: log,
});
await fleet.close();
