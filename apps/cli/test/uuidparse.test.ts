import { describe, expect, it } from 'vitest';
import { runOurs } from './_support.js';

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
  });

  it('selects columns with -o (any case, + to add), headings off with -n', async () => {
    expect((await uuidparse(['-o', 'type,UUID', 'x'])).stdout).toBe('TYPE       UUID\ninvalid    x\n');
    expect((await uuidparse(['-n', '-o', '+variant', 'x'])).stdout).toBe(
      'x    invalid   invalid    invalid                         invalid\n',
    );
  });

  describe('refuses bad options with util-linux messages, exit status 1 and nothing on stdout', () => {
    const cases: [string[], string][] = [
      [['-J', '-r', 'x'], 'uuidparse: mutually exclusive arguments: --json --raw'],
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
