import { spawn, spawnSync } from 'node:child_process';
import { v5 } from '@suite/uuid';
import { describe, expect, it } from 'vitest';
import { bin, runOurs } from './_support.js';

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

  it('takes @x.500 as libuuid does: the X500 namespace, as @x500', async () => {
    const dotted = await uuidgen('-s', '-n', '@x.500', '-N', 'CN=Suite');
    expect(dotted).toMatchObject({ code: 0, stderr: '' });
    expect(dotted.stdout).toBe((await uuidgen('-s', '-n', '@x500', '-N', 'CN=Suite')).stdout);
    expect(dotted.stdout).toBe(`${v5('CN=Suite', '6ba7b814-9dad-11d1-80b4-00c04fd430c8')}\n`);
  });

  it('prints nothing and exits 0 for -C 0, as util-linux does', async () => {
    for (const args of [['-C', '0'], ['-t', '--count=0'], ['-7C0'], ['-C', '+0']]) {
      expect(await uuidgen(...args)).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('hashes a -N name that is not UTF-8 as the bytes given (different bytes, different UUIDs)', () => {
    // A shell passes the bytes: Node's spawn could only pass UTF-8.
    const run = (octal: string) =>
      spawnSync(
        'sh',
        ['-c', `exec "$0" "$1" -s -n @dns -N "$(printf '${octal}')"`, process.execPath, bin('uuidgen')],
        {
          encoding: 'utf8',
        },
      );
    const ff = run('\\377');
    const fe = run('\\376');
    const latin1 = run('caf\\351');
    expect([ff.status, fe.status, latin1.status]).toEqual([0, 0, 0]);
    expect(ff.stdout).toBe(`${v5(Uint8Array.of(0xff), v5.DNS)}\n`);
    expect(fe.stdout).toBe(`${v5(Uint8Array.of(0xfe), v5.DNS)}\n`);
    expect(latin1.stdout).toBe(`${v5(Uint8Array.of(0x63, 0x61, 0x66, 0xe9), v5.DNS)}\n`);
    // never the hash of U+FFFD, which both would otherwise give
    expect(ff.stdout).not.toBe(`${v5('\ufffd', v5.DNS)}\n`);
  });

  it('refuses, pointing to -x, a name holding U+FFFD when the argument bytes cannot be read', () => {
    // run() called with arguments that are not this process's command line: their bytes are unknown.
    const runner = new URL('../dist/run.js', import.meta.url).href;
    const call = (name: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { run } from '${runner}'; await run('uuidgen', ['-s', '-n', '@dns', '-N', ${JSON.stringify(name)}]);`,
        ],
        { encoding: 'utf8' },
      );
    const refused = call('caf\ufffd');
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      "uuidgen: the name is not valid UTF-8 and its bytes cannot be read here; give it as hex with -x\nTry 'uuidgen --help' for more information.\n",
    );
    expect(call('caf\u00e9').stdout).toBe(`${v5('caf\u00e9', v5.DNS)}\n`);
  });

  describe('refuses bad input with a clear message, exit status 1 and nothing on stdout', () => {
    const cases: [string[], string][] = [
      [['-r', '-t'], 'uuidgen: options --random and --time cannot be combined'],
      [['-7', '--md5'], 'uuidgen: options --time-v7 and --md5 cannot be combined'],
      [['-m', '-C', '2', '-n', '@dns', '-N', 'x'], 'uuidgen: options --md5 and --count cannot be combined'],
      [['-t', '-N', 'x'], 'uuidgen: options --time and --name cannot be combined'],
      [['-n', '@dns', '-r'], 'uuidgen: options --namespace and --random cannot be combined'],
      [['-C', '-1'], "uuidgen: invalid count: '-1': Numerical result out of range"],
      [['-C', 'abc'], "uuidgen: invalid count: 'abc'"],
      [['-C', ''], "uuidgen: invalid count: ''"],
      [['-C', '5x'], "uuidgen: invalid count: '5x'"],
      [['-C', '0x10'], "uuidgen: invalid count: '0x10'"],
      [['-C', '4294967296'], "uuidgen: invalid count: '4294967296': Numerical result out of range"],
      [['--md5'], 'uuidgen: --md5 or --sha1 requires --namespace argument'],
      [['-m', '-n', '@dns'], 'uuidgen: --namespace requires --name argument'],
      [['-N', 'x'], 'uuidgen: --name requires --namespace argument'],
      [['-n', '@dns', '-N', 'x'], 'uuidgen: --namespace requires --md5 or --sha1'],
      [['-s', '-n', '@DNS', '-N', 'x'], "uuidgen: unknown namespace alias: '@DNS'"],
      [['-s', '-n', '@toString', '-N', 'x'], "uuidgen: unknown namespace alias: '@toString'"],
      [['-s', '-n', '@constructor', '-N', 'x'], "uuidgen: unknown namespace alias: '@constructor'"],
      [['-s', '-n', '@__proto__', '-N', 'x'], "uuidgen: unknown namespace alias: '@__proto__'"],
      [['-m', '-n', '@hasOwnProperty', '-N', 'x'], "uuidgen: unknown namespace alias: '@hasOwnProperty'"],
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
        expect(r.stderr).not.toContain('internal error');
      });
    }
  });

  it('stops quietly with status 0 when the reader goes away (EPIPE), as util-linux does', async () => {
    const child = spawn(process.execPath, [bin('uuidgen'), '-C', '5000000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
