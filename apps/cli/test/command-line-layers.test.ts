import { describe, expect, it } from 'vitest';
import { parseCtmOptions } from '../src/commands/ctm/options.js';
import { UsageError as MmUsageError, parseMmArgs } from '../src/commands/mm/args.js';
import { parseArgs, UsageError } from '../src/shared/ctm-mail/options.js';

describe('the command lines read with the shared parser', () => {
  const rmail = { flags: 'Dfuv', values: 'pdbl', long: ['ctm'] };

  it('ctm_rmail and friends: flags, values, long options, and errors that name the option', () => {
    const { options, operands } = parseArgs(['-Dv', '-pP', '-d', 'D', '--ctm=x', '--', '-f'], rmail);
    expect([...options]).toEqual([
      ['D', true],
      ['v', true],
      ['p', 'P'],
      ['d', 'D'],
      ['ctm', 'x'],
    ]);
    expect(operands).toEqual(['-f']);
    expect(() => parseArgs(['-Dz'], rmail)).toThrow(new UsageError("unknown option '-z'"));
    expect(() => parseArgs(['-fp'], rmail)).toThrow(new UsageError("option '-p' needs a value"));
    expect(() => parseArgs(['--ctm'], rmail)).toThrow(new UsageError("option '--ctm' needs a value"));
    expect(() => parseArgs(['--smtp', 'h'], rmail)).toThrow(new UsageError("unknown option '--smtp'"));
  });

  it('ctm: every unknown letter is a warning and an error, and parsing goes on', () => {
    const o = parseCtmOptions(['-qzv', '-V2', '--x', 'file', 'delta', '-k']);
    expect(o.warnings).toEqual(["option 'z' not supported", "option '-' not supported"]);
    expect(o.errors).toBe(2);
    expect(o.verbose).toBe(3);
    expect(o.filters).toHaveLength(1);
    expect(o.files).toEqual(['delta', '-k']);
    expect(parseCtmOptions(['-b']).warnings).toEqual(["option 'b' requires an argument"]);
  });

  it('mm: mm.pl single-dash words whole, unknown ones to mirror, and its own long options exactly', () => {
    expect(
      parseMmArgs(['-t', '-debug', '-debug', '-oa:b', '-vx', '--why=a:b', '--grace', '3', 'conf']),
    ).toMatchObject({
      ignoreTimers: true,
      debug: 2,
      only: 'a:b',
      mirrorArgs: ['-vx'],
      why: 'a:b',
      graceSeconds: 3,
      files: ['conf'],
    });
    expect(parseMmArgs(['--status', '--html', 'x.html', 'conf'])).toMatchObject({
      html: 'x.html',
      files: ['conf'],
    });
    expect(parseMmArgs(['--status', '--html', 'conf'])).toMatchObject({ html: '-', files: ['conf'] });
    expect(() => parseMmArgs(['--stat'])).toThrow(new MmUsageError('unknown option --stat'));
    expect(() => parseMmArgs(['--status=1'])).toThrow(new MmUsageError('--status takes no value'));
    expect(() => parseMmArgs(['--why'])).toThrow(new MmUsageError('--why needs a value'));
  });
});
