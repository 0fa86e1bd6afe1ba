import { describe, expect, it } from 'vitest';
import {
  CommandLine,
  type CommandLineSpec,
  GetoptError,
  type ParsedOption,
  parseCommandLine,
} from '../src/shared/getopt.js';

const gnu: CommandLineSpec = {
  mode: 'gnu',
  options: [
    { short: 'a', long: 'all' },
    { short: 'b', long: 'bytes', arg: 'required' },
    { short: 'c', long: 'color', arg: 'optional' },
    { long: 'foo' },
    { long: 'fob' },
    { short: 'n', long: 'nb', key: 'n' },
    { long: 'nonblock', key: 'n' },
    { short: 'r', long: 'random' },
    { short: 't', long: 'time' },
  ],
  exclusive: [['r', 't']],
};

const bsd: CommandLineSpec = {
  mode: 'bsd',
  options: [{ short: 'v' }, { short: 'p', arg: 'required' }, { long: 'keyring', arg: 'required' }],
  unknownLong: 'letters',
};

const opt = (key: string, name: string, value?: string): ParsedOption => ({ key, name, value });

/** The error parsing `argv` throws. */
function failure(argv: string[], spec: CommandLineSpec): GetoptError {
  try {
    parseCommandLine(argv, spec);
  } catch (error) {
    if (error instanceof GetoptError) return error;
    throw error;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('GNU mode (getopt_long)', () => {
  it('permutes: operands may stand before, between and after the options', () => {
    expect(parseCommandLine(['x', '-a', 'y', '--bytes', '3', 'z'], gnu)).toEqual({
      options: [opt('a', '-a'), opt('b', '--bytes', '3')],
      operands: ['x', 'y', 'z'],
    });
  });

  it('ends the options at --, keeping what follows as operands, and takes a lone - as an operand', () => {
    expect(parseCommandLine(['-a', '--', '-t', '--'], gnu)).toEqual({
      options: [opt('a', '-a')],
      operands: ['-t', '--'],
    });
    expect(parseCommandLine(['-', '-a'], gnu).operands).toEqual(['-']);
  });

  it('reads clustered letters, and a letter argument attached or in the next word', () => {
    expect(parseCommandLine(['-ab5', '-b', '-a', '-ab', '7'], gnu).options).toEqual([
      opt('a', '-a'),
      opt('b', '-b', '5'),
      opt('b', '-b', '-a'),
      opt('a', '-a'),
      opt('b', '-b', '7'),
    ]);
  });

  it('takes an optional argument only when attached', () => {
    expect(parseCommandLine(['-c', 'x', '-cy', '--color', 'z', '--color=w'], gnu)).toEqual({
      options: [opt('c', '-c'), opt('c', '-c', 'y'), opt('c', '--color'), opt('c', '--color', 'w')],
      operands: ['x', 'z'],
    });
  });

  it('takes --name=value and --name value, and an unambiguous prefix of a long name', () => {
    expect(parseCommandLine(['--by=1', '--byt', '2', '--al', '--col=x', '--bytes=a=b'], gnu).options).toEqual(
      [
        opt('b', '--bytes', '1'),
        opt('b', '--bytes', '2'),
        opt('a', '--all'),
        opt('c', '--color', 'x'),
        opt('b', '--bytes', 'a=b'),
      ],
    );
  });

  it('prefers an exact long name to the longer names it prefixes', () => {
    const spec: CommandLineSpec = { mode: 'gnu', options: [{ long: 'time' }, { long: 'time-v6' }] };
    expect(parseCommandLine(['--time'], spec).options).toEqual([opt('time', '--time')]);
  });

  it('takes a prefix shared by names of one option as that option, as glibc does', () => {
    expect(parseCommandLine(['--n', '--no'], gnu).options).toEqual([
      opt('n', '--nb'),
      opt('n', '--nonblock'),
    ]);
  });

  it.each([
    [['-q'], 'invalid', "invalid option -- 'q'"],
    [['-aq'], 'invalid', "invalid option -- 'q'"],
    [['--frob'], 'unrecognized', "unrecognized option '--frob'"],
    [['--frob=1'], 'unrecognized', "unrecognized option '--frob=1'"],
    [['-b'], 'missing', "option requires an argument -- 'b'"],
    [['-ab'], 'missing', "option requires an argument -- 'b'"],
    [['--bytes'], 'missing', "option '--bytes' requires an argument"],
    [['--by'], 'missing', "option '--bytes' requires an argument"],
    [['--all=1'], 'no-argument', "option '--all' doesn't allow an argument"],
    [['--a=1'], 'no-argument', "option '--all' doesn't allow an argument"],
    [['--fo'], 'ambiguous', "option '--fo' is ambiguous; possibilities: '--foo' '--fob'"],
    [['--fo=1'], 'ambiguous', "option '--fo=1' is ambiguous; possibilities: '--foo' '--fob'"],
    [['-r', '-t'], 'exclusive', 'options --random and --time cannot be combined'],
    [['--time', 'x', '-ar'], 'exclusive', 'options --time and --random cannot be combined'],
  ])('%j: %s, worded as glibc (util-linux for a clash)', (argv, kind, message) => {
    const error = failure(argv, gnu);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.code).toBe('EUSAGE');
  });

  it('reports, with an error, the options read before it', () => {
    expect(failure(['-a', 'x', '-r', '--bogus', '-t'], gnu).parsed).toEqual([opt('a', '-a'), opt('r', '-r')]);
  });

  it('gives an option to the caller before reading the next word, so -h before a bad option is seen first', () => {
    const seen: string[] = [];
    const line = new CommandLine(['-a', '-q'], gnu);
    expect(() => {
      for (const { key } of line) seen.push(key);
    }).toThrow("invalid option -- 'q'");
    expect(seen).toEqual(['a']);
  });

  it('accepts an option given twice in an exclusive group', () => {
    expect(parseCommandLine(['-r', '--random'], gnu).options).toHaveLength(2);
  });

  it('stops at the first operand with inOrder, as getopt_long with a leading +', () => {
    expect(parseCommandLine(['-a', 'x', '-t'], { ...gnu, inOrder: true })).toEqual({
      options: [opt('a', '-a')],
      operands: ['x', '-t'],
    });
  });
});

describe('BSD mode (getopt)', () => {
  it('does not permute: the first operand or a lone - ends the options and is kept', () => {
    expect(parseCommandLine(['-v', 'x', '-v'], bsd)).toEqual({
      options: [opt('v', '-v')],
      operands: ['x', '-v'],
    });
    expect(parseCommandLine(['-v', '-', '-v'], bsd).operands).toEqual(['-', '-v']);
    expect(parseCommandLine(['-v', '--', '-v'], bsd).operands).toEqual(['-v']);
  });

  it('reads clusters and a letter argument attached or in the next word, even one that looks like an option', () => {
    expect(parseCommandLine(['-vpdir', '-p', '--', 'x'], bsd)).toEqual({
      options: [opt('v', '-v'), opt('p', '-p', 'dir'), opt('p', '-p', '--')],
      operands: ['x'],
    });
  });

  it('matches its long options exactly, and reads another --word as letters when asked to', () => {
    expect(parseCommandLine(['--keyring=k', '--keyring', 'j', 'x'], bsd).options).toEqual([
      opt('keyring', '--keyring', 'k'),
      opt('keyring', '--keyring', 'j'),
    ]);
    expect(failure(['--key', 'x'], bsd).message).toBe("option '-' not supported");
    expect(failure(['--key'], { ...bsd, unknownLong: 'error' })).toMatchObject({
      kind: 'unrecognized',
      option: '--key',
    });
  });

  it.each([
    [['-q'], 'invalid', "option 'q' not supported"],
    [['-p'], 'missing', "option 'p' requires an argument"],
    [['--keyring'], 'missing', "option '--keyring' requires an argument"],
  ])('%j: %s, worded as ctm(1)', (argv, kind, message) => {
    expect(failure(argv, bsd)).toMatchObject({ kind, message });
  });

  it('goes on after an error when the caller takes errors, as getopt(3) returns ? and goes on', () => {
    const errors: string[] = [];
    const line = new CommandLine(['-qv', '-z', '-p'], bsd, (error) => errors.push(error.message));
    expect([...line]).toEqual([opt('v', '-v')]);
    expect(errors).toEqual([
      "option 'q' not supported",
      "option 'z' not supported",
      "option 'p' requires an argument",
    ]);
  });
});
