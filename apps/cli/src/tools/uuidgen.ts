import { parseAny, TimeUuidGenerator, type Uuid, v3, v4, v5, v7 } from '@suite/uuid';
import { exclusiveClash, GetoptError, getopt, type OptionSpec } from '../uuid/getopt.js';
import { usageError, versionLine, write } from '../uuid/output.js';

const PROGRAM = 'uuidgen';

const SPECS: readonly OptionSpec[] = [
  { short: 'r', long: 'random', hasArg: false, key: 'r' },
  { short: 't', long: 'time', hasArg: false, key: 't' },
  { short: 'V', long: 'version', hasArg: false, key: 'V' },
  { short: 'h', long: 'help', hasArg: false, key: 'h' },
  { short: 'n', long: 'namespace', hasArg: true, key: 'n' },
  { short: 'N', long: 'name', hasArg: true, key: 'N' },
  { short: 'm', long: 'md5', hasArg: false, key: 'm' },
  { short: 'C', long: 'count', hasArg: true, key: 'C' },
  { short: 's', long: 'sha1', hasArg: false, key: 's' },
  { short: '6', long: 'time-v6', hasArg: false, key: '6' },
  { short: '7', long: 'time-v7', hasArg: false, key: '7' },
  { short: 'x', long: 'hex', hasArg: false, key: 'x' },
];

// util-linux 2.42's groups, in its order (the message lists them so).
const EXCLUSIVE_GROUPS = [
  ['6', '7', 'm', 'r', 's', 't'],
  ['C', 'm', 's'],
  ['N', 'r', 't'],
  ['n', 'r', 't'],
] as const;

/** The namespace aliases of `-n @name` (RFC 9562 Appendix A.2). */
const ALIASES: Readonly<Record<string, string>> = {
  dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
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

/** `-C NUM` as util-linux's strtou32_or_err reads it, except that 0 is refused too (see the README). */
function parseCount(text: string): number | string {
  const m = /^\s*\+?(\d+)$/.exec(text);
  if (!m)
    return /^\s*-\d+$/.test(text)
      ? `invalid count argument: '${text}': Numerical result out of range`
      : `invalid count argument: '${text}'`;
  const n = Number(m[1]);
  if (n > 0xffffffff) return `invalid count argument: '${text}': Numerical result out of range`;
  if (n === 0) return `invalid count argument: '${text}': must be at least 1`;
  return n;
}

/** `-x NAME`: pairs of hex digits to bytes, or undefined if it is not that. */
function unhex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** uuidgen(1) of util-linux 2.42: `-r -t -6 -7 -m -s -n -N -x -C`, the same output, exclusions and errors. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof getopt>;
  try {
    parsed = getopt(argv, SPECS);
  } catch (error) {
    if (!(error instanceof GetoptError)) throw error;
    const before = exclusiveClash(error.parsed, EXCLUSIVE_GROUPS, SPECS);
    if (before) return exclusiveError(before);
    return usageError(PROGRAM, error.message);
  }
  const clash = exclusiveClash(parsed.options, EXCLUSIVE_GROUPS, SPECS);
  if (clash) return exclusiveError(clash);

  let kind: Kind = 'random';
  let namespace: string | undefined;
  let name: string | undefined;
  let hex = false;
  let count = 1;
  for (const { key, value } of parsed.options) {
    if (key === 'h') {
      await write(process.stdout, HELP);
      return 0;
    }
    if (key === 'V') {
      await write(process.stdout, versionLine(PROGRAM));
      return 0;
    }
    if (key === 'n') namespace = value;
    else if (key === 'N') name = value;
    else if (key === 'x') hex = true;
    else if (key === 'C') {
      const n = parseCount(value as string);
      if (typeof n === 'string') {
        process.stderr.write(`${PROGRAM}: ${n}\n`);
        return 1;
      }
      count = n;
    } else kind = KIND_OF[key] ?? kind;
  }

  const hashed = kind === 'md5' || kind === 'sha1';
  if (namespace !== undefined) {
    if (name === undefined) return usageError(PROGRAM, '--namespace requires --name argument');
    if (!hashed) return usageError(PROGRAM, '--namespace requires --md5 or --sha1');
  } else {
    if (name !== undefined) return usageError(PROGRAM, '--name requires --namespace argument');
    if (hashed) return usageError(PROGRAM, '--md5 or --sha1 requires --namespace argument');
  }

  if (hashed) {
    const data = hex ? unhex(name as string) : new TextEncoder().encode(name as string);
    if (data === undefined) return usageError(PROGRAM, 'not a valid hex string');
    const ns = namespace as string;
    let nsBytes: Uint8Array | undefined;
    if (ns.startsWith('@') && ns.length > 1) {
      const alias = ALIASES[ns.slice(1)];
      if (alias === undefined) return usageError(PROGRAM, `unknown namespace alias: '${ns}'`);
      nsBytes = parseAny(alias);
    } else {
      nsBytes = parseAny(ns);
      if (nsBytes === undefined) return usageError(PROGRAM, `invalid uuid for namespace: '${ns}'`);
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

function generator(kind: Kind): () => Uuid {
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
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  return 1;
}
