import { namespaceByAlias, parseAny, TimeUuidGenerator, v3, v4, v5, v7 } from '@suite/uuid';
import { defineTool, type ToolContext } from '../../shared/define-tool.js';
import { type CommandLineSpec, GetoptError, parseCommandLine } from '../../shared/getopt.js';
import { write } from '../../shared/uuid/output.js';
import { bytesOf, rawArgv } from '../../shared/uuid/raw-argv.js';

const PROGRAM = 'uuidgen';

/** util-linux 2.42's options, and its groups of exclusive ones in its order (the clash message names them so). */
const SPEC: CommandLineSpec = {
  mode: 'gnu',
  options: [
    { short: 'r', long: 'random' },
    { short: 't', long: 'time' },
    { short: 'V', long: 'version' },
    { short: 'h', long: 'help' },
    { short: 'n', long: 'namespace', arg: 'required' },
    { short: 'N', long: 'name', arg: 'required' },
    { short: 'm', long: 'md5' },
    { short: 'C', long: 'count', arg: 'required' },
    { short: 's', long: 'sha1' },
    { short: '6', long: 'time-v6' },
    { short: '7', long: 'time-v7' },
    { short: 'x', long: 'hex' },
  ],
  exclusive: [
    ['6', '7', 'm', 'r', 's', 't'],
    ['C', 'm', 's'],
    ['N', 'r', 't'],
    ['n', 'r', 't'],
  ],
};

const HELP = `
Usage:
 ${PROGRAM} [options]

Create a new UUID value.

Options:
 -r, --random          generate random-based uuid
 -t, --time            generate time-based uuid
 -n, --namespace <ns>  generate hash-based uuid in this namespace
                        available namespaces: @dns @url @oid @x500
 -N, --name <name>     generate hash-based uuid from this name
 -m, --md5             generate md5 hash
 -C, --count <num>     generate more uuids in loop
 -s, --sha1            generate sha1 hash
 -6, --time-v6         generate time-based v6 uuid
 -7, --time-v7         generate time-based v7 uuid
 -x, --hex             interpret name as hex string

 -h, --help            display this help
 -V, --version         display version

For more details see uuidgen(1).
`;

type Kind = 'random' | 'time' | 'time-v6' | 'time-v7' | 'md5' | 'sha1';
const KIND_OF: Readonly<Record<string, Kind>> = {
  r: 'random',
  t: 'time',
  '6': 'time-v6',
  '7': 'time-v7',
  m: 'md5',
  s: 'sha1',
};

/**
 * `-C NUM` as util-linux 2.42's strtou32_or_err reads it: leading blanks and a sign allowed, decimal digits only,
 * negative or above 2^32-1 out of range. 0 is a count (nothing is printed), as in util-linux.
 */
function parseCount(text: string): number | string {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!m) return `invalid count: '${text}'`;
  const n = Number(m[2]);
  if ((m[1] === '-' && n !== 0) || n > 0xffffffff)
    return `invalid count: '${text}': Numerical result out of range`;
  return n;
}

/** `-x NAME`: pairs of hex digits to bytes, or undefined if it is not that. */
function unhex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** Writes `uuidgen: message` (a byte string: arguments quoted in it keep their bytes) to stderr. */
function warn(message: string): void {
  process.stderr.write(Buffer.from(`${PROGRAM}: ${message}\n`, 'latin1'));
}

/** warnx() then errtryhelp(): the message, util-linux's hint, exit status 1. */
function usageError(message: string): number {
  warn(message);
  process.stderr.write(`Try '${PROGRAM} --help' for more information.\n`);
  return 1;
}

/** uuidgen(1) of util-linux 2.42: `-r -t -6 -7 -m -s -n -N -x -C`, the same output, exclusions and errors. */
export const { main } = defineTool({ name: PROGRAM, help: HELP, answers: 'options', run: uuidgen });

async function uuidgen(argv: readonly string[], tool: ToolContext): Promise<number> {
  // Arguments as byte strings: a -N name is hashed as the bytes given, whatever their encoding.
  const { args, exact } = rawArgv(argv);
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args, SPEC);
  } catch (error) {
    if (!(error instanceof GetoptError)) throw error;
    return error.kind === 'exclusive' ? exclusiveError(error.message) : usageError(error.message);
  }

  let kind: Kind = 'random';
  let namespace: string | undefined;
  let name: string | undefined;
  let hex = false;
  let count = 1;
  for (const { key, value } of parsed.options) {
    if (key === 'h') return tool.help();
    if (key === 'V') return tool.version();
    if (key === 'n') namespace = value;
    else if (key === 'N') name = value;
    else if (key === 'x') hex = true;
    else if (key === 'C') {
      const n = parseCount(value as string);
      if (typeof n === 'string') {
        warn(n); // err(): no hint
        return 1;
      }
      count = n;
    } else kind = KIND_OF[key] ?? kind;
  }

  const hashed = kind === 'md5' || kind === 'sha1';
  if (namespace !== undefined) {
    if (name === undefined) return usageError('--namespace requires --name argument');
    if (!hashed) return usageError('--namespace requires --md5 or --sha1');
  } else {
    if (name !== undefined) return usageError('--name requires --namespace argument');
    if (hashed) return usageError('--md5 or --sha1 requires --namespace argument');
  }

  if (hashed) {
    if (!hex && !exact && (name as string).includes(REPLACEMENT_UTF8)) {
      // Without the argument's bytes, U+FFFD may stand for any bytes that were not UTF-8: refuse to guess.
      return usageError(
        'the name is not valid UTF-8 and its bytes cannot be read here; give it as hex with -x',
      );
    }
    const data = hex ? unhex(name as string) : bytesOf(name as string);
    if (data === undefined) return usageError('not a valid hex string');
    const ns = namespace as string;
    let nsBytes: Uint8Array | undefined;
    if (ns.startsWith('@') && ns.length > 1) {
      const alias = namespaceByAlias(ns.slice(1));
      if (alias === undefined) return usageError(`unknown namespace alias: '${ns}'`);
      nsBytes = parseAny(alias);
    } else {
      nsBytes = parseAny(ns);
      if (nsBytes === undefined) return usageError(`invalid uuid for namespace: '${ns}'`);
    }
    const id = kind === 'md5' ? v3(data, nsBytes as Uint8Array) : v5(data, nsBytes as Uint8Array);
    await write(process.stdout, `${id}\n`);
    return 0;
  }

  const next = generator(kind);
  const BATCH = 4096;
  for (let done = 0; done < count; ) {
    const n = Math.min(BATCH, count - done);
    let text = '';
    for (let i = 0; i < n; i++) text += `${next()}\n`;
    if (!(await write(process.stdout, text))) break; // the reader has gone
    done += n;
  }
  return 0;
}

function generator(kind: Kind): () => string {
  switch (kind) {
    case 'time': {
      const gen = new TimeUuidGenerator();
      return () => gen.nextString();
    }
    case 'time-v6': {
      const gen = new TimeUuidGenerator();
      return () => gen.nextV6String();
    }
    case 'time-v7':
      return () => v7();
    default:
      return () => v4();
  }
}

/** util-linux's err_exclusive_options: the message alone (no --help hint), status 1. */
function exclusiveError(message: string): number {
  warn(message);
  return 1;
}

/** U+FFFD as a byte string of its UTF-8 encoding (what Node puts where argv bytes were not UTF-8). */
const REPLACEMENT_UTF8 = '\xef\xbf\xbd';
