// The fleet's own tables, beside pg-boss's. pg-boss queues and delivers; these decide who may run what:
//   status  one StatusRecord per job (the retry timers every planner and worker read)
//   lease   one row per job: the fence number, and the run holding it until `expires` (database time)
//   runs    the history: one row per run, with its worker, pid, fence, start, end and outcome
//   limits  the global limit (scope 'global') and each site's ('site:NAME')
//   slots   rows 0..max-1 per scope; a run holds one global and one site slot, taken FOR UPDATE SKIP LOCKED
//   workers one row per worker process, with its heartbeat

/** A PostgreSQL identifier as written in SQL (schema names are checked before they get here). */
export const ident = (name: string) => `"${name}"`;

/** The statements that create the fleet's tables in `schema`; idempotent. */
export function schemaStatements(schema: string): string[] {
  const s = ident(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.status (
       job_id text PRIMARY KEY,
       record jsonb NOT NULL,
       boss_job text)`,
    `CREATE TABLE IF NOT EXISTS ${s}.lease (
       job_id text PRIMARY KEY,
       fence bigint NOT NULL DEFAULT 0,
       running boolean NOT NULL DEFAULT false,
       worker text,
       pid integer,
       boss_job text,
       boss_retry integer,
       run_id bigint,
       since timestamptz,
       expires timestamptz,
       cancel boolean NOT NULL DEFAULT false)`,
    `CREATE INDEX IF NOT EXISTS lease_expires ON ${s}.lease (expires) WHERE running`,
    `CREATE TABLE IF NOT EXISTS ${s}.runs (
       run_id bigserial PRIMARY KEY,
       job_id text NOT NULL,
       fence bigint NOT NULL,
       worker text NOT NULL,
       pid integer,
       started timestamptz NOT NULL,
       ended timestamptz,
       outcome text,
       exit_code integer,
       signal text,
       boss_job text)`,
    `CREATE INDEX IF NOT EXISTS runs_job ON ${s}.runs (job_id, run_id)`,
    `CREATE TABLE IF NOT EXISTS ${s}.limits (scope text PRIMARY KEY, max integer NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}.slots (
       scope text NOT NULL,
       n integer NOT NULL,
       job_id text,
       fence bigint,
       PRIMARY KEY (scope, n))`,
    `CREATE TABLE IF NOT EXISTS ${s}.workers (
       worker text PRIMARY KEY,
       hostname text NOT NULL,
       pid integer NOT NULL,
       max integer NOT NULL,
       lease_ms integer NOT NULL,
       started timestamptz NOT NULL,
       heartbeat timestamptz NOT NULL,
       stopped timestamptz)`,
  ];
}
