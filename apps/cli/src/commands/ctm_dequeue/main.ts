import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { QueueDir, strerror } from '@suite/ctm-mail/node';
import { Logger, usage, usageText } from '../../shared/ctm-mail/logger.js';
import { numberOption, parseArgs, stringOption, UsageError } from '../../shared/ctm-mail/options.js';
import { chooseTransport, TransportError } from '../../shared/ctm-mail/transport.js';
import { defineTool } from '../../shared/define-tool.js';

const PROG = 'ctm_dequeue';
const SYNOPSIS = '[-l log] [-n num] queuedir';
const EXTRA = '[--sendmail PATH | --smtp URL | --mbox FILE]';

/**
 * ctm_dequeue: sends up to -n queued pieces (default 1) in name order. Each is claimed by a rename first, so
 * several ctm_dequeue at once never send a piece twice; a piece whose sending fails is put back.
 */
export const { main } = defineTool({
  name: PROG,
  help: usageText(PROG, SYNOPSIS, EXTRA),
  helpWords: ['--help', '-h'],
  run: ctmDequeue,
});

async function ctmDequeue(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let count: number;
  try {
    args = parseArgs(argv, { flags: '', values: 'ln', long: ['sendmail', 'smtp', 'mbox'] });
    if (args.operands.length !== 1) throw new UsageError('');
    count = numberOption(args.options.get('n'), 'n', 1, 1);
  } catch (error) {
    if (error instanceof UsageError) return usage(PROG, SYNOPSIS, EXTRA, error.message || undefined);
    throw error;
  }
  const logger = new Logger(PROG);
  const log = logger.log;
  const logFile = stringOption(args.options.get('l'));
  if (logFile) logger.logTo(logFile);
  const dir = args.operands[0]!;
  try {
    try {
      if (!statSync(dir).isDirectory()) {
        log(`not a directory: ${dir}`);
        return 1;
      }
      // Listing needs read, claiming (a rename) needs write: refuse before anything is touched.
      accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      log(`${dir}: ${strerror(error)}`);
      return 1;
    }
    const queue = new QueueDir(dir);
    try {
      queue.recover();
    } catch (error) {
      log(`${dir}: ${strerror(error)}`);
      return 1;
    }
    const transport = await chooseTransport(
      {
        smtp: stringOption(args.options.get('smtp')),
        mbox: stringOption(args.options.get('mbox')),
        sendmail: stringOption(args.options.get('sendmail')),
      },
      'dequeue',
    );
    let sent = 0;
    try {
      for (const name of queue.entries()) {
        if (sent === count) break;
        let entry: ReturnType<QueueDir['claim']>;
        try {
          entry = queue.claim(name);
        } catch (error) {
          log(`rename: ${join(dir, name)}: ${strerror(error)}`);
          return 1;
        }
        if (!entry) continue; // another ctm_dequeue took it
        try {
          const bytes = readFileSync(entry.path);
          const message = transport.start();
          await message.write(bytes);
          await message.close();
        } catch (error) {
          entry.putBack();
          if (error instanceof TransportError) for (const line of error.lines) log(line);
          else log(`open: ${entry.path}: ${strerror(error)}`);
          return 1;
        }
        try {
          entry.done();
        } catch (error) {
          log(`unlink: ${entry.path}: ${strerror(error)}`);
          return 1;
        }
        const p = entry.piece;
        log(p ? `${p.name} ${p.number}/${p.count} sent` : `${name} sent`);
        sent++;
      }
    } finally {
      await transport.end();
    }
    return 0;
  } finally {
    logger.close();
  }
}
