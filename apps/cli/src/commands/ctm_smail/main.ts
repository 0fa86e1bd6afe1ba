import { accessSync, closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import {
  CtmMailError,
  deltaFileName,
  noticeMessage,
  type PieceId,
  planPieces,
  type SigningKey,
  signatureName,
  splitDelta,
} from '@suite/ctm-mail';
import { fdSource, QueueDir, signDeltaFile, strerror } from '@suite/ctm-mail/node';
import { Logger, usage, usageText } from '../../shared/ctm-mail/logger.js';
import { numberOption, parseArgs, stringOption, UsageError } from '../../shared/ctm-mail/options.js';
import { loadSigningKey, signatureSource } from '../../shared/ctm-mail/signing.js';
import { chooseTransport, type MailTransport, TransportError } from '../../shared/ctm-mail/transport.js';
import { defineTool } from '../../shared/define-tool.js';

const PROG = 'ctm_smail';
const SYNOPSIS = '[-l log] [-m maxmsgsize] [-c maxctmsize] [-q queuedir] ctm-delta mail-alias';
const EXTRA = '[--sendmail PATH | --smtp URL | --mbox FILE] [--sign KEYFILE [--passphrase-file FILE]]';

/** ctm_smail: splits a delta into mail pieces and sends them (sendmail, SMTP, an mbox) or queues them. */
export const { main } = defineTool({
  name: PROG,
  help: usageText(PROG, SYNOPSIS, EXTRA),
  helpWords: ['--help', '-h'],
  run: ctmSmail,
});

async function ctmSmail(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let maxMessageSize: number;
  let maxDeltaSize: number;
  try {
    args = parseArgs(argv, {
      flags: '',
      values: 'lmcq',
      long: ['sendmail', 'smtp', 'mbox', 'sign', 'passphrase-file'],
    });
    if (args.operands.length !== 2) throw new UsageError('');
    maxMessageSize = numberOption(args.options.get('m'), 'm', 64000, 1);
    maxDeltaSize = numberOption(args.options.get('c'), 'c', 0, 0);
    const chosen = ['sendmail', 'smtp', 'mbox', 'q'].filter((o) => args.options.has(o));
    if (chosen.length > 1) throw new UsageError(`choose one of -q, --sendmail, --smtp, --mbox`);
    if (args.options.has('passphrase-file') && !args.options.has('sign'))
      throw new UsageError('--passphrase-file goes with --sign KEYFILE');
  } catch (error) {
    if (error instanceof UsageError) return usage(PROG, SYNOPSIS, EXTRA, error.message || undefined);
    throw error;
  }
  const logger = new Logger(PROG);
  const log = logger.log;
  const logFile = stringOption(args.options.get('l'));
  if (logFile) logger.logTo(logFile);
  try {
    const [deltaPath, alias] = args.operands as [string, string];
    const name = deltaPath.slice(deltaPath.lastIndexOf('/') + 1);
    try {
      deltaFileName(name);
    } catch (error) {
      log(`${deltaPath}: cannot send: ${(error as Error).message}`);
      return 1;
    }
    if (!/^[\x21-\x7e]+$/.test(alias)) {
      log(`mail alias '${alias}' must be one address without spaces or control characters`);
      return 1;
    }
    const keyFile = stringOption(args.options.get('sign'));
    let signing: { key: SigningKey; name: string } | undefined;
    if (keyFile !== undefined) {
      try {
        signing = {
          name: signatureName(deltaFileName(name)),
          key: await loadSigningKey(keyFile, stringOption(args.options.get('passphrase-file'))),
        };
      } catch (error) {
        log(error instanceof CtmMailError ? `${deltaPath}: cannot sign: ${error.message}` : messageOf(error));
        return 1;
      }
    }
    const queueDir = stringOption(args.options.get('q'));
    if (queueDir !== undefined) {
      try {
        if (!statSync(queueDir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
        accessSync(queueDir, constants.R_OK | constants.X_OK); // it is listed to clean up dead writers' temporaries
      } catch (error) {
        log(`queue directory '${queueDir}': ${strerror(error)}`);
        return 1;
      }
    }
    let fd: number;
    let size: number;
    try {
      fd = openSync(deltaPath, 'r');
      const stat = fstatSync(fd);
      if (!stat.isFile()) {
        closeSync(fd);
        throw Object.assign(new Error(), { code: stat.isDirectory() ? 'EISDIR' : 'EINVAL' });
      }
      size = stat.size;
    } catch (error) {
      log(`${deltaPath}: ${strerror(error)}`);
      return 1;
    }
    try {
      if (size === 0) {
        log(`${deltaPath}: the delta is empty: nothing to send`);
        return 1;
      }
      const split = { name, size, alias, maxMessageSize };
      // --sign: a detached signature of the delta travels as a delta of its own, NAME.asc, which FreeBSD's
      // ctm_rmail stores beside the delta and never applies.
      const signature = signing && signatureSource(await signDeltaFile(fd, signing.key));
      const signatureSplit = signature && signing && { ...split, name: signing.name, size: signature.size };
      const queued = (p: PieceId) => log(`${p.name} ${p.number}/${p.count} queued for ${alias}`);
      if (maxDeltaSize !== 0 && size > maxDeltaSize) {
        const notice = { name, size, maxDeltaSize, alias };
        // The delta is fetched by other means; its signature still goes by mail, to check the delta with.
        if (queueDir !== undefined) {
          const queue = new QueueDir(queueDir);
          queue.queueNotice(notice);
          if (signature && signatureSplit) await queue.queueDelta(signature, signatureSplit, queued);
        } else {
          const transport = await transportFor(args.options);
          const message = transport.start();
          await message.write(noticeMessage(notice));
          await message.close();
          if (signature && signatureSplit)
            await splitDelta(signature, signatureSplit, sender(transport, alias, log));
          await transport.end();
        }
        return 0;
      }
      try {
        planPieces(size, maxMessageSize); // refuse, before anything is queued or sent, what ctm_rmail would refuse
      } catch (error) {
        log(`${deltaPath}: cannot send: ${messageOf(error)}`);
        return 1;
      }
      if (queueDir !== undefined) {
        const queue = new QueueDir(queueDir);
        queue.recover();
        try {
          // The signature first: a run that dies between the two leaves no complete unsigned delta queued.
          if (signature && signatureSplit) await queue.queueDelta(signature, signatureSplit, queued);
          await queue.queueDelta(fdSource(fd), split, queued);
        } catch (error) {
          log(messageOf(error));
          log('discarding queued delta pieces');
          return 1;
        }
        return 0;
      }
      const transport = await transportFor(args.options);
      try {
        const send = sender(transport, alias, log);
        await splitDelta(fdSource(fd), split, send);
        if (signature && signatureSplit) await splitDelta(signature, signatureSplit, send);
      } finally {
        await transport.end();
      }
      return 0;
    } catch (error) {
      if (error instanceof TransportError) for (const line of error.lines) log(line);
      else log(messageOf(error));
      return 1;
    } finally {
      closeSync(fd);
    }
  } finally {
    logger.close();
  }
}

/** Each piece as one message of the transport, logged `NAME P/N sent to ALIAS` once sent. */
function sender(transport: MailTransport, alias: string, log: (line: string) => void) {
  return (piece: PieceId) => {
    const message = transport.start();
    return {
      write: (bytes: Uint8Array) => message.write(bytes),
      close: async () => {
        await message.close();
        log(`${piece.name} ${piece.number}/${piece.count} sent to ${alias}`);
      },
    };
  };
}

function transportFor(options: ReadonlyMap<string, string | true>) {
  return chooseTransport(
    {
      smtp: stringOption(options.get('smtp')),
      mbox: stringOption(options.get('mbox')),
      sendmail: stringOption(options.get('sendmail')),
    },
    'smail',
  );
}

function messageOf(error: unknown): string {
  if (error instanceof CtmMailError) return error.message;
  if (error instanceof TransportError) return error.lines.join('\n');
  return error instanceof Error ? error.message : String(error);
}
