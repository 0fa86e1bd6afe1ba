import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runOurs } from './_support.js';

const uuidgen = (...args: string[]) => runOurs('uuidgen', args);
const LINE = (version: string) =>
  new RegExp(`^[0-9a-f]{8}-[0-9a-f]{4}-${version}[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`);

describe('uuidgen', () => {
  it('prints one random (v4) UUID by default, and with -r / --random', async () => {
    for (const args of [[], ['-r'], ['--random'], ['--ran']]) {
      const r = await uuidgen(...args);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
      expect(r.stdout.trim()).toMatch(LINE('4'));
    }
  });

  it('prints v1 with -t (random node with the multicast bit), v6 with -6, v7 with -7', async () => {
    const t = (await uuidgen('-t')).stdout.trim();
    expect(t).toMatch(LINE('1'));
    expect(Number.parseInt(t.slice(24, 26), 16) & 1).toBe(1);
    expect((await uuidgen('--time-v6')).stdout.trim()).toMatch(LINE('6'));
    expect((await uuidgen('-7')).stdout.trim()).toMatch(LINE('7'));
  });

  it('prints -C N UUIDs, all different; v7 in increasing order', async () => {
    const r = await uuidgen('-7', '-C', '20000');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(new Set(lines).size).toBe(20_000);
    expect([...lines].sort()).toEqual(lines);
    for (const args of [['--count=3', '-t'], ['-C3'], ['--count', '3', '-6']]) {
      expect((await uuidgen(...args)).stdout.trimEnd().split('\n')).toHaveLength(3);
    }
  });

  it('gives the util-linux known answers for --md5 and --sha1 in @dns, and takes any namespace', async () => {
    expect((await uuidgen('--md5', '-n', '@dns', '-N', 'www.example.com')).stdout).toBe(
      '5df41881-3aed-3515-88a7-2f4a814cf09e\n',
    );
    expect((await uuidgen('--sha1', '--namespace=@dns', '--name', 'www.example.com')).stdout).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2\n',
    );
    const byUuid = await uuidgen('-s', '-n', '6BA7B810-9DAD-11D1-80B4-00C04FD430C8', '-N', 'www.example.com');
    expect(byUuid.stdout).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2\n');
    // -x: the name is hex; 7777772e... is "www.example.com"
    const hex = await uuidgen('-m', '-n', '@dns', '-x', '-N', Buffer.from('www.example.com').toString('hex'));
    expect(hex.stdout).toBe('5df41881-3aed-3515-88a7-2f4a814cf09e\n');
    for (const alias of ['@url', '@oid', '@x500']) {
      expect((await uuidgen('-s', '-n', alias, '-N', 'x')).stdout.trim()).toMatch(LINE('5'));
    }
  });

  describe('refuses bad input with a clear message, exit status 1 and nothing on stdout', () => {
    const cases: [string[], string][] = [
      [
        ['-r', '-t'],
        'uuidgen: mutually exclusive arguments: --time-v6 --time-v7 --md5 --random --sha1 --time',
      ],
      [
        ['-7', '--md5'],
        'uuidgen: mutually exclusive arguments: --time-v6 --time-v7 --md5 --random --sha1 --time',
      ],
      [
        ['-m', '-C', '2', '-n', '@dns', '-N', 'x'],
        'uuidgen: mutually exclusive arguments: --count --md5 --sha1',
      ],
      [['-t', '-N', 'x'], 'uuidgen: mutually exclusive arguments: --name --random --time'],
      [['-C', '0'], "uuidgen: invalid count argument: '0': must be at least 1"],
      [['-C', '-1'], "uuidgen: invalid count argument: '-1': Numerical result out of range"],
      [['-C', 'abc'], "uuidgen: invalid count argument: 'abc'"],
      [['-C', '5x'], "uuidgen: invalid count argument: '5x'"],
      [['-C', '4294967296'], "uuidgen: invalid count argument: '4294967296': Numerical result out of range"],
      [['--md5'], 'uuidgen: --md5 or --sha1 requires --namespace argument'],
      [['-m', '-n', '@dns'], 'uuidgen: --namespace requires --name argument'],
      [['-N', 'x'], 'uuidgen: --name requires --namespace argument'],
      [['-n', '@dns', '-N', 'x'], 'uuidgen: --namespace requires --md5 or --sha1'],
      [['-s', '-n', '@DNS', '-N', 'x'], "uuidgen: unknown namespace alias: '@DNS'"],
      [['-s', '-n', '@', '-N', 'x'], "uuidgen: invalid uuid for namespace: '@'"],
      [
        ['-s', '-n', '{6ba7b810-9dad-11d1-80b4-00c04fd430c8}', '-N', 'x'],
        "uuidgen: invalid uuid for namespace: '{6ba7b810-9dad-11d1-80b4-00c04fd430c8}'",
      ],
      [['-s', '-n', '@dns', '-x', '-N', 'abc'], 'uuidgen: not a valid hex string'],
      [['-s', '-n', '@dns', '-x', '-N', 'zz'], 'uuidgen: not a valid hex string'],
      [['-q'], "uuidgen: invalid option -- 'q'"],
      [['--frob'], "uuidgen: unrecognized option '--frob'"],
      [['--random=3'], "uuidgen: option '--random' doesn't allow an argument"],
      [['-n'], "uuidgen: option requires an argument -- 'n'"],
      [['--count'], "uuidgen: option '--count' requires an argument"],
      [['--t'], "uuidgen: option '--t' is ambiguous; possibilities: '--time' '--time-v6' '--time-v7'"],
    ];
    for (const [args, message] of cases) {
      it(`uuidgen ${args.join(' ')}`, async () => {
        const r = await uuidgen(...args);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toBe(message);
      });
    }
  });

  it('stops quietly with status 0 when the reader goes away (EPIPE), as util-linux does', async () => {
    const bin = fileURLToPath(new URL('../bin/uuidgen.js', import.meta.url));
    const child = spawn(process.execPath, [bin, '-C', '5000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('prints help and version', async () => {
    const help = await uuidgen('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(' -7, --time-v7         generate time-based v7 uuid\n');
    expect((await uuidgen('-V')).stdout).toMatch(/^uuidgen from /);
  });
});
