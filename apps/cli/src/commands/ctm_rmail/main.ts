import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyCompleted, type Keyring, PieceIntake, readMaildrop } from '@suite/ctm-mail';
import {
  decodeMimeMessage,
  FilePieceStore,
  fileChunks,
  maildirMessages,
  nodeMd5,
  signatureGate,
  strerror,
} from '@suite/ctm-mail/node';
import { Logger, usage, usageText } from '../../shared/ctm-mail/logger.js';
import { parseArgs, stringOption, UsageError } from '../../shared/ctm-mail/options.js';
import { EX_TEMPFAIL, loadKeyring } from '../../shared/ctm-mail/signing.js';
import { defineTool } from '../../shared/define-tool.js';
import { runCtm } from './ctm-runner.js';
import { deltaDirLocks } from './locks.js';

const PROG = 'ctm_rmail';
const SYNOPSIS = '[-Dfuv] [-p piecedir] [-d deltadir] [-b basedir] [-l log] [file ...]';
const EXTRA = '[--ctm PATH] [--keyring FILE]';
const OPTIONS = { flags: 'Dfuv', values: 'pdbl', long: ['ctm', 'keyring'] };

/**
 * ctm_rmail: reads maildrops (files, Maildir directories, or stdin) for pieces, stores them in -p, rebuilds
 * completed deltas into -d, and with -b applies them with ctm. Exit 0 when every piece was stored; 75
 * (EX_TEMPFAIL) when a good piece could not be stored or a delta not built here (a full disk, an I/O error, a lock
 * not had in time), so that the MTA retries; else 1 when an input held no piece or a piece was discarded as bad
 * mail (the MTA bounces), or a directory given is not usable (as the original). A failure to apply does not change
 * the status.
 */
export const { main } = defineTool({
  name: PROG,
  help: usageText(PROG, SYNOPSIS, EXTRA),
  helpWords: ['--help', '-h'],
  run: ctmRmail,
});

async function ctmRmail(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, OPTIONS);
  } catch (error) {
    if (error instanceof UsageError) return usage(PROG, SYNOPSIS, EXTRA, error.message);
    throw error;
  }
  const o = args.options;
  const pieceDir = stringOption(o.get('p'));
  const deltaDir = stringOption(o.get('d'));
  const baseDir = stringOption(o.get('b'));
  if (deltaDir === undefined) return usage(PROG, SYNOPSIS, EXTRA);
  if (pieceDir === undefined && (baseDir === undefined || args.operands.length > 0)) {
    return usage(PROG, SYNOPSIS, EXTRA);
  }
  const keyringFile = stringOption(o.get('keyring'));
  if (keyringFile !== undefined && baseDir === undefined) {
    return usage(PROG, SYNOPSIS, EXTRA, '--keyring needs -b: signatures are checked when deltas are applied');
  }
  const logger = new Logger(PROG);
  const log = logger.log;
  const logFile = stringOption(o.get('l'));
  if (logFile) logger.logTo(logFile);
  try {
    for (const [what, dir] of [
      ['piece directory', pieceDir],
      ['delta directory', deltaDir],
      ['base directory', baseDir],
    ] as const) {
      if (dir === undefined) continue;
      try {
        if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
        if (what !== 'base directory') accessSync(dir, constants.W_OK | constants.X_OK);
      } catch (error) {
        log(`${what} '${dir}': ${strerror(error)}`);
        return 1; // a directory that is not there or not ours is the setup's fault, as in the original
      }
    }
    // The keyring is read before any mail: if it cannot be, the MTA keeps the mail and tries again later.
    let keyring: Keyring | undefined;
    if (keyringFile !== undefined) {
      try {
        keyring = await loadKeyring(keyringFile);
      } catch (error) {
        log((error as Error).message);
        return EX_TEMPFAIL;
      }
    }
    let status = 0;
    if (pieceDir !== undefined) status = await readPieces(args.operands, pieceDir, deltaDir, log);
    if (baseDir !== undefined) {
      if (o.has('f')) applyInBackground(argv, deltaDir, baseDir, logFile);
      else {
        const applied = await apply(deltaDir, baseDir, o, log, keyring);
        if (applied !== 0 && status !== EX_TEMPFAIL) status = applied;
      }
    }
    return status;
  } finally {
    logger.close();
  }
}

async function readPieces(
  inputs: readonly string[],
  pieceDir: string,
  deltaDir: string,
  log: (message: string) => void,
): Promise<number> {
  const fromStdin = inputs.length === 0 || inputs.includes('-');
  const intake = new PieceIntake({
    store: new FilePieceStore({ pieceDir, deltaDir, umask: currentUmask() }),
    locks: deltaDirLocks(deltaDir),
    log,
    md5: nodeMd5,
    // A message piped in by an MTA exists nowhere else: each piece goes to disk before it is reported stored.
    // Mailbox files stay where they are, so their pieces may wait in memory (a complete delta then never
    // touches the piece directory); they are all written before the run ends.
    ...(fromStdin ? { memory: 0 } : {}),
  });
  let status = 0;
  let local = false;
  try {
    for (const input of inputs.length > 0 ? inputs : ['-']) {
      let sources: (AsyncIterable<Uint8Array> | string)[];
      if (input === '-') {
        sources = [process.stdin];
      } else {
        try {
          sources = statSync(input).isDirectory() ? maildirMessages(input) : [input];
          if (sources.length === 1) accessSync(input, constants.R_OK);
        } catch {
          log(`cannot open '${input}' for reading`);
          status = 1;
          continue;
        }
      }
      let pieces = 0;
      let failed = false;
      for (const source of sources) {
        try {
          const chunks = typeof source === 'string' ? fileChunks(source) : source;
          const result = await readMaildrop(chunks, { intake, decodeMime: decodeMimeMessage });
          pieces += result.pieces;
          if (result.failures > 0) status = 1;
          if (result.lost > 0) local = true;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (typeof source === 'string' && code === 'ENOENT') continue; // a Maildir message moved away meanwhile
          if (
            typeof code === 'string' &&
            code.startsWith('E') &&
            !(error instanceof Error && error.name === 'LockError')
          ) {
            log(`error reading ${input === '-' ? 'stdin' : input}: ${strerror(error)}`);
          } else {
            log(error instanceof Error ? error.message : String(error));
          }
          // Reading our input or taking the lock failed here, not in the mail: worth a retry.
          local = true;
          failed = true;
        }
      }
      if (pieces === 0 && !failed) {
        log('message contains no delta');
        status = 1;
      }
    }
  } finally {
    try {
      await intake.close();
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      local = true;
    }
  }
  // Pieces that could not be written at the end are lost: the MTA must deliver the mail again.
  if (intake.takeLost() > 0) local = true;
  if (intake.takeFailures() > 0) status = 1;
  return local ? EX_TEMPFAIL : status;
}

/**
 * -b: applies the completed deltas. With a keyring, only those with a good signature: resolves to 1 when one was
 * rejected (forged mail), 75 when one could not be checked (a local failure), else 0.
 */
async function apply(
  deltaDir: string,
  baseDir: string,
  o: ReadonlyMap<string, string | true>,
  log: (message: string) => void,
  keyring: Keyring | undefined,
): Promise<number> {
  const run = {
    program: stringOption(o.get('ctm')) ?? process.env.CTM,
    setTime: o.has('u'),
    verbose: o.has('v'),
    baseDir,
  };
  const locks = deltaDirLocks(deltaDir);
  let status = 0;
  const gate = keyring && signatureGate(deltaDir, keyring);
  const signatures = gate && {
    checkDelta: async (name: string) => {
      try {
        return await gate.checkDelta(name);
      } catch (error) {
        log(`cannot check the signature of ${name}: ${strerror(error)}`);
        status = EX_TEMPFAIL;
        return { verdict: 'wait' as const, reason: 'it will be checked again on the next run' };
      }
    },
    setAside: (name: string, what: 'signature' | 'both') => {
      status = 1;
      return gate.setAside(name, what);
    },
  };
  await applyCompleted(
    {
      locks,
      log,
      readStatus: async () => {
        try {
          return readFileSync(resolve(baseDir, '.ctm_status'), 'latin1');
        } catch {
          return undefined;
        }
      },
      hasDelta: async (name) => {
        try {
          return statSync(resolve(deltaDir, name)).isFile();
        } catch {
          return false;
        }
      },
      runCtm: (name, onLine) => runCtm(run, resolve(deltaDir, name), onLine, (pid) => locks.adopt(pid)),
      removeDelta: async (name) => unlinkSync(resolve(deltaDir, name)),
      ...signatures,
    },
    { deleteAfter: o.has('D') },
  );
  return status;
}

/** -f: the applying goes on in a detached child (ctm_rmail without -p and -f), so the MTA is answered at once. */
function applyInBackground(
  argv: readonly string[],
  deltaDir: string,
  baseDir: string,
  logFile: string | undefined,
): void {
  const { options } = parseArgs(argv, OPTIONS);
  const args = ['-d', resolve(deltaDir), '-b', resolve(baseDir)];
  for (const flag of ['D', 'u', 'v']) if (options.has(flag)) args.push(`-${flag}`);
  if (logFile) args.push('-l', resolve(logFile));
  const ctm = stringOption(options.get('ctm'));
  if (ctm) args.push('--ctm', ctm);
  const keyring = stringOption(options.get('keyring'));
  if (keyring) args.push('--keyring', resolve(keyring));
  const bin = fileURLToPath(new URL('../bin/ctm_rmail.js', import.meta.url));
  const child = spawn(process.execPath, [bin, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', logFile ? 'ignore' : 'inherit'],
  });
  child.unref();
}

function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}
