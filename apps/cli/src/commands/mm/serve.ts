import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type ConfigSource, loadConfig, type MirrorPlan } from '@suite/mirror-scheduler/mm';
import {
  formatDiagnostic,
  formatMetrics,
  nodeConfigHost,
  PROMETHEUS_CONTENT_TYPE,
  renderStatusPage,
  type StatusSnapshot,
  tunasyncJobs,
} from '@suite/mirror-scheduler/node';
import type { FleetConnection, FleetStatus } from '@suite/mirror-scheduler/pg-boss';
import { planSnapshot, planStores } from './status-snapshot.js';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

export const SERVE_USAGE = `Usage: mm serve [--listen HOST:PORT] [config-file...]
       mm serve --fleet URL [--listen HOST:PORT]

Serves the status of the configuration's jobs over HTTP, read-only (it never starts a job):
  /          the status page (HTML, no JavaScript; reloads itself every 30 s)
  /jobs      JSON: tunasync's /jobs fields (name, status, last_update, last_started, last_ended,
             next_schedule, size, ...) and mm's (state, reason, consecutive_failures, history, ...)
  /metrics   Prometheus text format
  --listen HOST:PORT  where to listen (default 127.0.0.1:9784; :PORT means 127.0.0.1, port 0 any free port)
  --fleet URL         serve a fleet's status from its PostgreSQL database (postgres://...): the jobs, their
                      workers and fences, the queue; the page lists the workers and their heartbeats, and
                      /metrics adds the mm_fleet_* series (needs Node >= 22.12 and npm install pg-boss pg)
The configuration is read once at start (restart mm serve after changing it); the status at every request.
`;

/** Where `mm serve` listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT`; throws a message for anything else. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new Error(`--listen ${text}: not HOST:PORT`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function parseServeArgs(argv: readonly string[]): {
  listen: ListenAddress;
  files: string[];
  help: boolean;
  fleet?: string;
} {
  let listen = '127.0.0.1:9784';
  let fleet: string | undefined;
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--help') help = true;
    else if (arg === '--listen') {
      const v = argv[++i];
      if (v === undefined) throw new Error('--listen needs HOST:PORT');
      listen = v;
    } else if (arg.startsWith('--listen=')) listen = arg.slice('--listen='.length);
    else if (arg === '--fleet') {
      fleet = argv[++i];
      if (fleet === undefined) throw new Error('--fleet needs a postgres:// URL');
    } else if (arg.startsWith('--fleet=')) fleet = arg.slice('--fleet='.length);
    else if (arg.startsWith('-') && arg !== '-') throw new Error(`unknown option ${arg}`);
    else break;
  }
  if (fleet !== undefined && !/^postgres(ql)?:\/\//.test(fleet))
    throw new Error(`--fleet ${fleet}: not a postgres:// URL`);
  if (fleet !== undefined && i < argv.length)
    throw new Error('mm serve --fleet takes no configuration files: the fleet knows its jobs');
  return {
    listen: parseListen(listen),
    files: argv.slice(i),
    help,
    ...(fleet === undefined ? {} : { fleet }),
  };
}

async function loadPlan(files: readonly string[]): Promise<MirrorPlan | undefined> {
  const sources: ConfigSource[] = [];
  try {
    if (files.length === 0) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      sources.push({ name: '-', text: Buffer.concat(chunks).toString('utf8') });
    }
    for (const file of files) sources.push({ name: file, text: await readFile(file, 'utf8') });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err(`mm: cannot read ${e.path ?? 'the configuration'}: ${e.code ?? e.message}\n`);
    return undefined;
  }
  const plan = await loadConfig(sources, nodeConfigHost, { home: process.cwd() });
  for (const d of plan.diagnostics) err(`mm: ${formatDiagnostic(d)}\n`);
  if (plan.hasErrors) {
    err('mm: configuration errors: not serving\n');
    return undefined;
  }
  return plan;
}

/** Writes `body` in pieces, waiting for the client to take each; stops quietly if the client goes away. */
async function send(res: ServerResponse, body: string): Promise<void> {
  const bytes = Buffer.from(body);
  res.setHeader('content-length', bytes.length);
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  const closed = once(res, 'close').then(() => false);
  for (let at = 0; at < bytes.length && !res.destroyed; at += 65_536) {
    if (!res.write(bytes.subarray(at, at + 65_536))) {
      const drained = await Promise.race([once(res, 'drain').then(() => true), closed]);
      if (!drained) return;
    }
  }
  if (!res.destroyed) res.end();
}

/**
 * The request handler: `/`, `/jobs`, `/metrics`, from a snapshot shared by the requests of the same second.
 * Never starts a job; GET and HEAD only.
 */
export function statusHandler(
  snapshot: () => Promise<StatusSnapshot>,
  extraMetrics?: (snapshot: StatusSnapshot) => string,
) {
  let cached: { at: number; value: Promise<StatusSnapshot> } | undefined;
  const current = () => {
    if (!cached || Date.now() - cached.at > 1000) {
      const value = snapshot();
      cached = { at: Date.now(), value };
      value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.on('error', () => {}); // a client that hangs up is not our error
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('mm serve is read-only: GET or HEAD\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const routes: Record<string, [string, (s: StatusSnapshot) => string]> = {
      '/': ['text/html; charset=utf-8', (s) => renderStatusPage(s, { refreshSeconds: 30 })],
      '/index.html': ['text/html; charset=utf-8', (s) => renderStatusPage(s, { refreshSeconds: 30 })],
      '/jobs': ['application/json; charset=utf-8', (s) => `${JSON.stringify(tunasyncJobs(s))}\n`],
      '/metrics': [
        PROMETHEUS_CONTENT_TYPE,
        (s) => (extraMetrics ? formatMetrics(s) + extraMetrics(s) : formatMetrics(s)),
      ],
    };
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`no such page: ${path} (try /, /jobs, /metrics)\n`);
      return;
    }
    let body: string;
    try {
      body = route[1](await current());
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`mm: cannot read the status: ${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    res.setHeader('content-type', route[0]);
    if (route[0].startsWith('text/html'))
      res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    await send(res, body);
  };
}

/** `mm serve`. */
export async function serveMain(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseServeArgs>;
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    err(`mm serve: ${(error as Error).message}\n${SERVE_USAGE}`);
    return 2;
  }
  if (args.help) {
    out(SERVE_USAGE);
    return 0;
  }
  let handle: ReturnType<typeof statusHandler>;
  let what: string;
  let close = async () => {};
  if (args.fleet !== undefined) {
    const fleet = await connectFleet(args.fleet);
    if (typeof fleet === 'number') return fleet;
    const { fleetStatusSnapshot, formatFleetMetrics } = await import('@suite/mirror-scheduler/pg-boss');
    // Each snapshot's fleet status, for the mm_fleet_* series of /metrics.
    const statuses = new WeakMap<StatusSnapshot, FleetStatus>();
    handle = statusHandler(
      async () => {
        const { snapshot, status } = await fleetStatusSnapshot(fleet);
        statuses.set(snapshot, status);
        return snapshot;
      },
      (s) => {
        const status = statuses.get(s);
        return status ? formatFleetMetrics(status) : '';
      },
    );
    what = `the fleet at ${redact(args.fleet)}`;
    close = () => fleet.close();
  } else {
    const plan = await loadPlan(args.files);
    if (!plan) return 2;
    const stores = planStores();
    handle = statusHandler(() => planSnapshot(plan, stores));
    what = `${plan.jobs.length} jobs`;
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      err(`mm serve: ${req.url}: ${error instanceof Error ? error.message : String(error)}\n`);
      res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  try {
    server.listen(args.listen.port, args.listen.host);
    await once(server, 'listening');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err(`mm serve: cannot listen on ${args.listen.host}:${args.listen.port}: ${e.code ?? e.message}\n`);
    await close();
    return 2;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : args.listen.port;
  const host = args.listen.host.includes(':') ? `[${args.listen.host}]` : args.listen.host;
  out(`mm: serving ${what} at http://${host}:${port}/ (/jobs, /metrics)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  server.close();
  server.closeAllConnections();
  await close();
  out(`mm: ${signal}: stopped serving\n`);
  return 0;
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** The fleet's database for `mm serve --fleet`, or an exit status after saying why not. */
async function connectFleet(url: string): Promise<FleetConnection | number> {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 22 || (major === 22 && minor < 12)) {
    err(
      `mm serve: the fleet runs on pg-boss 12, which needs Node >= 22.12; this is Node ${process.version}\n`,
    );
    return 2;
  }
  const { connectFleet: connect, FleetError } = await import('@suite/mirror-scheduler/pg-boss');
  try {
    return await connect({ url });
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    err(`mm serve: fleet ${redact(url)}: ${error.message}\n`);
    return 2;
  }
}
