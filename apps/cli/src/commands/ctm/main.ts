import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { type Keyring, SignatureError } from '@suite/ctm-mail';
import {
  applyDelta,
  CtmExit,
  deltaBytesSource,
  deltaFileSource,
  NodeTree,
  nodeMd5,
} from '@suite/ctm-mail/delta/node';
import { describeSigner, strerror, verifyDeltaFile } from '@suite/ctm-mail/node';
import { loadKeyring } from '../../shared/ctm-mail/signing.js';
import { defineTool } from '../../shared/define-tool.js';
import { backupNames } from './backup.js';
import { diffMain } from './diff.js';
import { type CtmOptions, parseCtmOptions } from './options.js';

const USAGE = [
  'usage: ctm [-cFklquv] [-b basedir] [-B backup-file] [-t tar-command] [-e regex] [-x regex] [-V level] [file ...]',
  '           [--keyring FILE] file ...',
  '       ctm diff [-q] [-d YYYYMMDDHHMMSSZ] [-I ignore-regex] [-P prefix] [-o delta.gz] old-dir new-dir name number',
].join('\n');

/**
 * ctm(1): applies CTM deltas to the tree in the current directory (or -b basedir), in ctm's three passes; and
 * `ctm diff OLD NEW NAME NUMBER -o DELTA` makes one. Exit status: 0, or ctm's bits (1 bad delta, 2 usage, 4 out of
 * resources, 8 tree not as expected, 16 the same but -F would force it, 32 refused name or internal problem).
 */
export const { main } = defineTool({
  name: 'ctm',
  help: `${USAGE}\n`,
  // ctm(1) has no -h: a modern --help costs the original's option letters nothing. -V is ctm's verbosity (-V n);
  // the version is long-only.
  helpWords: ['--help', '-h'],
  run: ctm,
});

async function ctm(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'diff') return diffMain(argv.slice(1));
  const o = parseCtmOptions(argv);
  const warn = (line: string) => process.stderr.write(bytesOf(`ctm: ${line}\n`));
  for (const w of o.warnings) warn(w);
  if (o.errors > 0) {
    warn(`${o.errors} errors during option processing`);
    return CtmExit.Pilot;
  }
  let keyring: Keyring | undefined;
  if (o.keyring !== undefined) {
    if (o.files.length === 0 || o.files.includes('-')) {
      warn('--keyring needs delta files: the signature of each is read from DELTA.asc beside it');
      return CtmExit.Pilot;
    }
    try {
      keyring = await loadKeyring(o.keyring);
    } catch (error) {
      warn((error as Error).message);
      return CtmExit.Pilot;
    }
  }
  const dir = o.basedir ?? '.';
  const statusPath = o.basedir ? join(o.basedir, '.ctm_status') : '.ctm_status';
  const tree = new NodeTree(dir);
  if (!o.list && o.verbose > 0 && tree.lstat('.ctm_status') === undefined)
    warn(`warning: ${statusPath} not found`);

  let status = 0;
  for (const file of o.files.length > 0 ? o.files : ['-']) {
    status |= await proc(file, tree, dir, o, keyring);
    if (status !== 0) break;
  }
  if (o.verbose > 0) warn(`exit(${status})`);
  return status;
}

async function proc(
  file: string,
  tree: NodeTree,
  dir: string,
  o: CtmOptions,
  keyring: Keyring | undefined,
): Promise<number> {
  const say = (line: string) => process.stderr.write(bytesOf(`${line}\n`));
  if (keyring) {
    try {
      const who = await verifyDeltaFile(file, keyring);
      if (o.verbose > 0) say(`ctm: ${file}: good signature by ${describeSigner(who)}`);
    } catch (error) {
      if (!(error instanceof SignatureError)) {
        say(`ctm: ${file}: ${strerror(error)}`);
        return CtmExit.Broke;
      }
      say(`ctm: ${file}: not applied: ${error.message}`);
      return CtmExit.Garbage;
    }
  }
  let source: ReturnType<typeof deltaFileSource>;
  try {
    source = file === '-' ? deltaBytesSource(await buffer(process.stdin)) : deltaFileSource(file);
  } catch (error) {
    say(`ctm: ${file}: ${strerror(error)}`);
    return CtmExit.Garbage;
  }
  if (o.verbose > 1) say(`Working on <${file}>`);
  const result = await applyDelta(source, tree, {
    check: o.check,
    force: o.force,
    keep: o.keep,
    list: o.list,
    setTimes: o.setTimes,
    verbose: o.verbose,
    filters: o.filters,
    label: file,
    md5: nodeMd5,
    report: say,
    output: (line) => process.stdout.write(bytesOf(`${line}\n`)),
    ...(o.backupFile !== undefined && {
      backup: (names: readonly string[]) => backupNames(names, o.tarCommand, o.backupFile!, dir),
    }),
  });
  return result.status;
}

/**
 * A report line as bytes: names in it are byte strings (one character per byte), so they come out exactly as the
 * delta has them; other text is ASCII, or UTF-8 as Node decoded it from argv.
 */
function bytesOf(line: string): Buffer {
  return /[^\u0000-\u00ff]/.test(line) ? Buffer.from(line) : Buffer.from(line, 'latin1');
}
