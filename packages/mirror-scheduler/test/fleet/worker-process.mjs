// A fleet worker in a process of its own, for the fault tests: `node worker-process.mjs URL NAME MAX LEASE_MS EVENTS`.
// Each event is appended to EVENTS as a JSON line. SIGTERM stops it cleanly.
import { appendFileSync } from 'node:fs';
import { connectFleet, fleetExecutor, runFleetWorker } from '../../dist/pg-boss/index.js';

const [url, name, max, leaseMs, events] = process.argv.slice(2);
const fleet = await connectFleet({ url });
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const log = (e) =>
  appendFileSync(
    events,
    `${JSON.stringify({ type: e.type, id: e.job?.id, pid: e.pid, ok: e.ok, message: e.message, worker: name, at: Date.now() })}\n`,
  );
appendFileSync(
  events,
  `${JSON.stringify({ type: 'worker-up', worker: name, pid: process.pid, at: Date.now() })}\n`,
);
await runFleetWorker(fleet, {
  name,
  max: Number(max),
  leaseMs: Number(leaseMs),
  pollMs: 50,
  killGraceMs: 500,
  executor: fleetExecutor({ output: 'ignore' }),
  signal: stop.signal,
  onEvent: log,
});
await fleet.close();
