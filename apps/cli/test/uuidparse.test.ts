import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin, runOurs } from './_support.js';

const uuidparse = (args: string[], input?: string, env?: NodeJS.ProcessEnv) =>
  runOurs('uuidparse', args, { input, env: { TZ: 'UTC', ...env } });

const V1 = 'C232AB00-9414-11EC-B3C8-9F6BDECED846';
const V6 = '1EC9414C-232A-6B00-B3C8-9F6BDECED846';
const V7 = '017F22E2-79B0-7CC3-98C4-DC0C0C07398F';
const V4 = '919108F7-52D1-4320-9BAC-F847DB4148A8';

describe('uuidparse', () => {
  it('prints the table of util-linux 2.42: time-v6, time-v7 and their times, types only for the DCE variant', async () => {
    const r = await uuidparse([V1, V6, V7, V4, '00000000-0000-0000-0000-000000000000', 'bad']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'UUID                                  VARIANT   TYPE       TIME',
        `${V1}  DCE       time-based 2022-02-22 19:22:22,000000+00:00`,
        `${V6}  DCE       time-v6    2022-02-22 19:22:22,000000+00:00`,
        `${V7}  DCE       time-v7    2022-02-22 19:22:22,000000+00:00`,
        `${V4}  DCE       random     `,
        '00000000-0000-0000-0000-000000000000  NCS                  ',
        'bad                                   invalid   invalid    invalid',
        '',
      ].join('\n'),
    );
  });

  it("gives util-linux's known answers (its tests/expected/uuid/uuidparse, with 2.41's DCE-only types)", async () => {
    const ids = [
      '00000000-0000-1000-0000-000000000000',
      '00000000-0000-2000-8000-000000000000',
      '00000000-0000-3000-8000-000000000000',
      '00000000-0000-6000-8000-000000000000',
      '00000000-0000-8000-8000-000000000000',
      '00000000-0000-0000-8000-000000000000',
      '00000000-0000-1000-d000-000000000000',
      '00000000-0000-1000-f000-000000000000',
      '9b274c46-544a-11e7-a972-00037f500001',
      'invalid-input',
    ];
    const r = await uuidparse(['-r', '-n', ...ids]);
    expect(r.stdout).toBe(
      [
        '00000000-0000-1000-0000-000000000000 NCS  ',
        '00000000-0000-2000-8000-000000000000 DCE DCE ',
        '00000000-0000-3000-8000-000000000000 DCE name-based ',
        '00000000-0000-6000-8000-000000000000 DCE time-v6 1582-10-15\\x2000:00:00,000000+00:00',
        '00000000-0000-8000-8000-000000000000 DCE vendor ',
        '00000000-0000-0000-8000-000000000000 DCE unknown ',
        '00000000-0000-1000-d000-000000000000 Microsoft  ',
        '00000000-0000-1000-f000-000000000000 other  ',
        '9b274c46-544a-11e7-a972-00037f500001 DCE time-based 2017-06-18\\x2017:21:46,544647+00:00',
        'invalid-input invalid invalid invalid',
        '',
      ].join('\n'),
    );
  });

  it('shows the time in the local time zone with its offset, to the microsecond', async () => {
    const r = await uuidparse(['-n', '-o', 'TIME', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'], undefined, {
      TZ: 'Asia/Kolkata',
    });
    expect(r.stdout).toBe('2022-02-23 00:52:22,000000+05:30\n');
    const micro = await uuidparse(['-n', '-o', 'time', 'c232ab0b-9414-11ec-b3c8-9f6bdeced846']);
    expect(micro.stdout).toBe('2022-02-22 19:22:22,000001+00:00\n');
  });

  it('prints JSON with null for no data, and raw output with escapes', async () => {
    const json = await uuidparse(['-J', '-o', 'uuid,type,time', V4, 'a"b']);
    expect(json.stdout).toBe(
      `{\n   "uuids": [\n      {\n         "uuid": "${V4}",\n         "type": "random",\n         "time": null\n      },{\n         "uuid": "a\\"b",\n         "type": "invalid",\n         "time": "invalid"\n      }\n   ]\n}\n`,
    );
    const empty = await uuidparse(['--json'], '');
    expect(empty.stdout).toBe('{\n   "uuids": [\n\n   ]\n}\n');
    const raw = await uuidparse(['-r', V1, 'a b']);
    expect(raw.stdout).toBe(
      `UUID VARIANT TYPE TIME\n${V1} DCE time-based 2022-02-22\\x2019:22:22,000000+00:00\na\\x20b invalid invalid invalid\n`,
    );
  });

  it('reads whitespace-separated words from stdin, keeping long words whole and the last word without newline', async () => {
    const r = await uuidparse(['-r', '-n', '-o', 'uuid,variant'], ` ${V4}\t{${V4}}\n\nlast`);
    expect(r.stdout).toBe(`${V4} DCE\n{${V4}} invalid\nlast invalid\n`);
    const long = 'x'.repeat(200_000); // streamed in pieces into its cell, and kept for a second UUID column
    const twice = await uuidparse(['-r', '-n', '-o', 'uuid,variant,uuid'], `${long} y`);
    expect(twice.stdout).toBe(`${long} invalid ${long}\ny invalid y\n`);
  });

  it('prints nothing for empty stdin (no header), but an empty JSON array', async () => {
    for (const args of [[], ['-r'], ['-n'], ['-o', 'uuid']]) {
      expect(await uuidparse(args, '')).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect((await uuidparse(args, ' \n\t\n')).stdout).toBe('');
    }
    expect((await uuidparse(['-J'], '')).stdout).toBe('{\n   "uuids": [\n\n   ]\n}\n');
    expect((await uuidparse(['-J'], '', { LIBSMARTCOLS_JSON: 'compact' })).stdout).toBe('{"uuids":[\n]}\n');
    expect((await uuidparse(['-J'], '', { LIBSMARTCOLS_JSON: 'lines' })).stdout).toBe('');
  });

  it('escapes every byte that is not printable ASCII in --raw, as libsmartcols does (\\xc3\\xa9)', async () => {
    const fromStdin = spawnSync(process.execPath, [bin('uuidparse'), '-r', '-n', '-o', 'uuid'], {
      input: Buffer.from([...Buffer.from('caf\u00e9 '), 0xff, 0x20, ...Buffer.from('a\\b\x7f')]),
      encoding: 'latin1',
    });
    expect(fromStdin.stdout).toBe('caf\\xc3\\xa9\n\\xff\na\\x5cb\\x7f\n');
    // arguments keep their bytes too (a shell passes the byte 0xff, which Node's spawn could not)
    const fromArgs = spawnSync(
      'sh',
      [
        '-c',
        `exec "$0" "$1" "$(printf 'caf\\303\\251')" -r -n -o uuid "$(printf '\\377')"`,
        process.execPath,
        bin('uuidparse'),
      ],
      { encoding: 'latin1' },
    );
    expect(fromArgs.stdout).toBe('caf\\xc3\\xa9\n\\xff\n');
  });

  it('shows UTF-8 in a table in a UTF-8 locale, and \\xNN otherwise or where it is not UTF-8', async () => {
    const input = Buffer.from([...Buffer.from('caf\u00e9 '), 0xff, 0x0a]);
    const run = (lang: string) =>
      spawnSync(process.execPath, [bin('uuidparse'), '-n', '-o', 'uuid'], {
        input,
        encoding: 'latin1',
        env: { ...process.env, LC_ALL: '', LC_CTYPE: '', LANG: lang },
      }).stdout;
    expect(run('C.UTF-8')).toBe(`${Buffer.from('caf\u00e9').toString('latin1')}\n\\xff\n`);
    expect(run('C')).toBe('caf\\xc3\\xa9\n\\xff\n');
  });

  it('honours LIBSMARTCOLS_JSON=compact and =lines with --json; any other value is pretty', async () => {
    const args = ['-J', '-o', 'uuid,type', V4, 'x'];
    expect((await uuidparse(args, undefined, { LIBSMARTCOLS_JSON: 'compact' })).stdout).toBe(
      `{"uuids":[\n{"uuid":"${V4}","type":"random"},\n{"uuid":"x","type":"invalid"}\n]}\n`,
    );
    expect((await uuidparse(args, undefined, { LIBSMARTCOLS_JSON: 'lines' })).stdout).toBe(
      `{"uuid":"${V4}","type":"random"}\n{"uuid":"x","type":"invalid"}\n`,
    );
    const pretty = (await uuidparse(args)).stdout;
    expect((await uuidparse(args, undefined, { LIBSMARTCOLS_JSON: 'Compact' })).stdout).toBe(pretty);
    expect(JSON.parse(pretty)).toEqual({
      uuids: [
        { uuid: V4, type: 'random' },
        { uuid: 'x', type: 'invalid' },
      ],
    });
  });

  it('selects columns with -o (any case, + to add), headings off with -n', async () => {
    expect((await uuidparse(['-o', 'type,UUID', 'x'])).stdout).toBe('TYPE       UUID\ninvalid    x\n');
    expect((await uuidparse(['-n', '-o', '+variant', 'x'])).stdout).toBe(
      'x    invalid   invalid    invalid                         invalid\n',
    );
  });

  describe('refuses bad options with util-linux messages, exit status 1 and nothing on stdout', () => {
    const cases: [string[], string][] = [
      [['-J', '-r', 'x'], 'uuidparse: options --json and --raw cannot be combined'],
      [['--raw', '--json', 'x'], 'uuidparse: options --raw and --json cannot be combined'],
      [['-o', 'foo', 'x'], 'uuidparse: unknown column: foo'],
      [['-o', '', 'x'], 'uuidparse: unknown column: '],
      [['-o', 'uuid,uuid,uuid,uuid,uuid,uuid,uuid,uuid,uuid', 'x'], 'uuidparse: too many columns: at most 8'],
      [['-x'], "uuidparse: invalid option -- 'x'"],
      [['--output'], "uuidparse: option '--output' requires an argument"],
    ];
    for (const [args, message] of cases) {
      it(`uuidparse ${args.join(' ')}`, async () => {
        const r = await uuidparse(args);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toBe(message);
      });
    }
  });

  it('prints help and version', async () => {
    const help = await uuidparse(['-h']);
    expect(help.stdout).toContain('Available output columns:\n     UUID  unique identifier\n');
    expect((await uuidparse(['--version'])).stdout).toMatch(/^uuidparse from /);
  });
});
