// QueueDir across kill -9 and pid reuse: a delta is queued whole or not at all, a dead reader's claim comes back.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive, processToken, QueueDir } from '../src/node/index.js';

let q: string;
beforeEach(() => {
  q = mkdtempSync(join(tmpdir(), 'ctm-queue-'));
});
afterEach(() => rmSync(q, { recursive: true, force: true }));

/** What a ctm_smail killed after its first rename leaves: a marker, one piece in place, one temporary. */
function killedWriter(owner: string): void {
  const pid = owner.split('-')[0]!.padStart(8, '0');
  writeFileSync(join(q, `.${pid}.commit`), `${owner} d.0001.gz 2\n`);
  writeFileSync(join(q, 'd.0001.gz+001-002'), 'piece 1');
  writeFileSync(join(q, `.${pid}.002`), 'piece 2');
}

describe('QueueDir commit markers', () => {
  it('hides a delta whose marker is there, and leaves a live writer alone', () => {
    killedWriter(processToken());
    writeFileSync(join(q, 'e.0001.gz+001-001'), 'other');
    const queue = new QueueDir(q);
    expect(queue.entries()).toEqual(['e.0001.gz+001-001']);
    queue.recover();
    const pid = String(process.pid).padStart(8, '0');
    expect(readdirSync(q).sort()).toEqual([
      `.${pid}.002`,
      `.${pid}.commit`,
      'd.0001.gz+001-002',
      'e.0001.gz+001-001',
    ]);
  });

  it("finishes a dead writer's renames: the whole delta appears", () => {
    killedWriter('4242-1');
    const queue = new QueueDir(q);
    queue.recover((owner) => owner !== '4242-1' && isProcessAlive(owner));
    expect(readdirSync(q).sort()).toEqual(['d.0001.gz+001-002', 'd.0001.gz+002-002']);
    expect(queue.entries()).toEqual(['d.0001.gz+001-002', 'd.0001.gz+002-002']);
  });

  it('treats a half-written marker of a dead writer as no commit: its temporaries go, nothing is queued', () => {
    writeFileSync(join(q, '.99999999.commit'), '4242-1 d.0');
    writeFileSync(join(q, '.99999999.001'), 'piece 1');
    new QueueDir(q).recover();
    expect(readdirSync(q)).toEqual([]);
  });
});

describe('QueueDir claims', () => {
  it('names a claim with the owner token, and puts back one whose token names a process no longer there', () => {
    writeFileSync(join(q, 'c+001-001'), 'x');
    const queue = new QueueDir(q, { owner: `${process.pid}-1` });
    const claimed = queue.claim('c+001-001')!;
    expect(claimed.path).toBe(join(q, `.claim.${process.pid}-1.c+001-001`));
    // Our pid, but not our start time: the claim of a dead process whose pid we were given.
    expect(isProcessAlive(`${process.pid}-1`)).toBe(false);
    expect(isProcessAlive(processToken())).toBe(true);
    queue.recover();
    expect(readdirSync(q)).toEqual(['c+001-001']);
  });
});
