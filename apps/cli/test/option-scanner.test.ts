import { describe, expect, it } from 'vitest';
import { parseCtmOptions } from '../src/commands/ctm/options.js';
import { parseArgs, UsageError } from '../src/shared/ctm-mail/options.js';
import { OptionScanner, type ScannedOption } from '../src/shared/option-scanner.js';

const valued = new Set(['-p', '-d', '--ctm', '--tim']);

function scan(argv: string[], options?: { long?: boolean }): { found: ScannedOption[]; operands: string[] } {
  const scanner = new OptionScanner(argv, (name) => valued.has(name), options);
  const found = [...scanner];
  return { found, operands: scanner.operands };
}

const flag = (name: string) => ({ name, value: undefined, missing: false, attached: false });
const given = (name: string, value: string, attached = false) => ({ name, value, missing: false, attached });

describe('OptionScanner', () => {
  it('reads clustered flags, and a value glued to its letter or in the next argument', () => {
    expect(scan(['-Dfv', '-pdir', '-d', 'deltas', '-vpx', 'file'])).toEqual({
      found: [
        flag('-D'),
        flag('-f'),
        flag('-v'),
        given('-p', 'dir'),
        given('-d', 'deltas'),
        flag('-v'),
        given('-p', 'x'),
      ],
      operands: ['file'],
    });
  });

  it('stops at the first operand, keeps a lone -, and consumes --', () => {
    expect(scan(['-f', 'a', '-v'])).toEqual({ found: [flag('-f')], operands: ['a', '-v'] });
    expect(scan(['-f', '-', '-v'])).toEqual({ found: [flag('-f')], operands: ['-', '-v'] });
    expect(scan(['-f', '--', '-v'])).toEqual({ found: [flag('-f')], operands: ['-v'] });
    expect(scan(['--', '--'])).toEqual({ found: [], operands: ['--'] });
  });

  it('takes the next argument as a value even when it looks like an option or is --', () => {
    expect(scan(['-p', '-v', 'x'])).toEqual({ found: [given('-p', '-v')], operands: ['x'] });
    expect(scan(['-p', '--', 'x'])).toEqual({ found: [given('-p', '--')], operands: ['x'] });
  });

  it('reports a value that is missing at the end', () => {
    expect(scan(['-fp']).found).toEqual([
      flag('-f'),
      { name: '-p', value: undefined, missing: true, attached: false },
    ]);
    expect(scan(['--ctm']).found).toEqual([
      { name: '--ctm', value: undefined, missing: true, attached: false },
    ]);
  });

  it('reads --name=value and --name value, asking about the name as written', () => {
    expect(scan(['--ctm=a=b', '--tim', '5', '--quiet', 'op'])).toEqual({
      found: [given('--ctm', 'a=b', true), given('--tim', '5'), flag('--quiet')],
      operands: ['op'],
    });
    expect(scan(['--quiet=no']).found).toEqual([given('--quiet', 'no', true)]);
  });

  it('without long options reads --name as getopt(3) does: a cluster of letters', () => {
    expect(scan(['--fp', 'x', 'y'], { long: false })).toEqual({
      found: [flag('--'), flag('-f'), given('-p', 'x')],
      operands: ['y'],
    });
  });

  it('yields unknown letters too, and leaves the rest unscanned when the caller stops', () => {
    const scanner = new OptionScanner(['-zq', 'rest'], () => false);
    const seen: string[] = [];
    for (const option of scanner) {
      seen.push(option.name);
      if (option.name === '-z') break;
    }
    expect(seen).toEqual(['-z']);
    expect(scanner.operands).toEqual(['rest']);
  });
});

describe('the parsers on top of it', () => {
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
});
