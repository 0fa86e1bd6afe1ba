import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeWithPeers, peerPath } from './_peers.js';
import { bin, runOurs, runProgram } from './_support.js';

const THEIRS = peerPath('uuidgen');

describeWithPeers(['uuidgen', 'uuidparse'], 'uuidgen interop with util-linux', () => {
  it('gives the same --md5 and --sha1 UUIDs for names, hex names and namespaces', async () => {
    const cases = [
      ['-m', '-n', '@dns', '-N', 'www.example.com'],
      ['-s', '-n', '@dns', '-N', 'www.example.com'],
      ['--md5', '--namespace', '@url', '--name', 'https://example.com/a?b=c'],
      ['--sha1', '--namespace', '@x500', '--name', 'CN=Suite'],
      ['-s', '-n', '@oid', '-N', '1.3.6.1.4.1'],
      ['-m', '-n', 'd9428888-122b-11e1-b85c-61cd3cbb3210', '-N', 'name with spaces'],
      ['-s', '-n', 'D9428888-122B-11E1-B85C-61CD3CBB3210', '-N', '\u00e9t\u00e9 \u2603'],
      ['-s', '-n', '@dns', '-x', '-N', '00ff7f80deadBEEF'],
      ['-m', '-n', '@dns', '-x', '-N', ''],
      ['-s', '-n', '@dns', '-N', ''],
    ];
    for (const args of cases) {
      const [ours, theirs] = [runOurs('uuidgen', args), runProgram(THEIRS, args)];
      expect(theirs.code).toBe(0);
      expect(ours).toEqual({ ...theirs });
    }
  });

  it('hashes names that are not UTF-8 to the same UUIDs (the argument bytes, not U+FFFD)', () => {
    for (const octal of ['\\377', '\\376\\377', 'caf\\351', '\\303']) {
      const script = `exec "$0" -s -n @dns -N "$(printf '${octal}')"`;
      const ours = spawnSync(
        'sh',
        ['-c', script.replace('"$0"', '"$0" "$1"'), process.execPath, bin('uuidgen')],
        {
          encoding: 'utf8',
        },
      );
      const theirs = spawnSync('sh', ['-c', script, THEIRS], { encoding: 'utf8' });
      expect(theirs.status).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });

  it('fails like it on namespace and hex errors (message and status)', async () => {
    const cases = [
      ['-s', '-n', '@nope', '-N', 'x'],
      ['-s', '-n', 'not-a-uuid', '-N', 'x'],
      ['-s', '-n', '@dns', '-x', '-N', 'abc'],
      ['-m', '-N', 'x'],
      ['-m', '-n', '@dns'],
      ['-n', '@dns', '-N', 'x'],
      ['--md5'],
    ];
    for (const args of cases) {
      const [ours, theirs] = [runOurs('uuidgen', args), runProgram(THEIRS, args)];
      expect(theirs.code).toBe(1);
      expect(ours).toEqual({ ...theirs });
    }
  });

  it('prints UUIDs that its uuidparse reads as valid, of the type asked for', async () => {
    for (const [flag, type] of [
      ['-r', 'random'],
      ['-t', 'time-based'],
      [undefined, 'random'],
    ] as const) {
      const out = (await runOurs('uuidgen', flag ? [flag, '-C', '50'] : [])).stdout.trim().split('\n');
      const parsed = await runProgram(peerPath('uuidparse'), ['-r', '-n', '-o', 'VARIANT,TYPE', ...out]);
      for (const line of parsed.stdout.trim().split('\n')) expect(line).toBe(`DCE ${type}`);
    }
  });
});
