import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { constants } from 'node:os';
import { strerror } from '@suite/ctm-mail/node';

/** One message on its way: its bytes, then `close()` sends it (or throws a {@link TransportError}). */
export interface OutgoingMessage {
  write(bytes: Uint8Array): Promise<void> | void;
  close(): Promise<void>;
}

/** How ctm_smail and ctm_dequeue send mail: sendmail (the default), SMTP, or appending to an mbox file. */
export interface MailTransport {
  start(): OutgoingMessage;
  /** Closes connections. */
  end(): Promise<void>;
}

/** A failed send; `lines` are the log lines that say why, the originals' where they have one. */
export class TransportError extends Error {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join('; '));
    this.lines = lines;
  }
}

/** The default sendmail program. */
export const DEFAULT_SENDMAIL = '/usr/sbin/sendmail';

/**
 * `sendmail -odq -t` with the message on its standard input (spawned directly, never through a shell).
 * `style` picks the originals' failure messages: ctm_smail's (`sendmail failed with status N`, the wait status)
 * or ctm_dequeue's (`sendmail failed`).
 */
export function sendmailTransport(program: string, style: 'smail' | 'dequeue'): MailTransport {
  return {
    start() {
      const child = spawn(program, ['-odq', '-t'], { stdio: ['pipe', 'inherit', 'inherit'] });
      let spawnError: Error | undefined;
      let writeError: Error | undefined;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on('error', (error) => {
          spawnError = error;
          resolve({ code: null, signal: null });
        });
        child.on('close', (code, signal) => resolve({ code, signal }));
      });
      child.stdin.on('error', (error) => {
        writeError ??= error;
      });
      return {
        write(bytes) {
          if (spawnError || writeError) return;
          if (!child.stdin.write(bytes)) {
            return new Promise<void>((resolve) => {
              const done = () => {
                child.stdin.off('drain', done);
                child.stdin.off('error', done);
                child.stdin.off('close', done);
                resolve();
              };
              child.stdin.on('drain', done);
              child.stdin.on('error', done);
              child.stdin.on('close', done);
            });
          }
        },
        async close() {
          child.stdin.end();
          const { code, signal } = await exited;
          if (spawnError) {
            throw new TransportError(
              style === 'smail'
                ? ['cannot start sendmail']
                : [`exec: ${program}: ${strerror(spawnError)}`, 'sendmail failed'],
            );
          }
          if (code === 0 && !writeError) return;
          if (code === 0 && writeError) throw new TransportError(['error writing to sendmail']);
          if (style === 'dequeue') throw new TransportError(['sendmail failed']);
          const status = code !== null ? code << 8 : signal ? (constants.signals[signal] ?? 0) : 0;
          throw new TransportError([`sendmail failed with status ${status}`]);
        },
      };
    },
    async end() {},
  };
}

/** The envelope of a message, from its From: and To: headers (what `sendmail -t` would use). */
export function envelopeOf(message: Uint8Array): { from: string; to: string[] } {
  const text = Buffer.from(message.subarray(0, Math.min(message.length, 8192))).toString('latin1');
  const headerEnd = text.indexOf('\n\n');
  const headers = (headerEnd < 0 ? text : text.slice(0, headerEnd)).split('\n');
  let from = '';
  const to: string[] = [];
  for (const line of headers) {
    const m = /^(from|to|cc):\s*(.*)$/i.exec(line);
    if (!m) continue;
    if (m[1]!.toLowerCase() === 'from') from = m[2]!.trim();
    else
      to.push(
        ...m[2]!
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      );
  }
  return { from, to };
}

/** Messages sent to an SMTP server (nodemailer), envelope from the headers; `url` like `smtp://host:port`. */
export async function smtpTransport(url: string): Promise<MailTransport> {
  const nodemailer = await import('nodemailer');
  const transporter = nodemailer.createTransport(url);
  return {
    start: () =>
      bufferedMessage(async (raw) => {
        try {
          await transporter.sendMail({ envelope: envelopeOf(raw), raw });
        } catch (error) {
          throw new TransportError([
            `SMTP failed: ${error instanceof Error ? error.message : String(error)}`,
          ]);
        }
      }),
    async end() {
      transporter.close();
    },
  };
}

/**
 * Messages appended to an mbox file: a `From ` line, the message with `From `-lines escaped (mboxrd), a blank
 * line. Each message is one append, so concurrent writers do not interleave.
 */
export function mboxTransport(path: string): MailTransport {
  return {
    start: () =>
      bufferedMessage(async (raw) => {
        const { from } = envelopeOf(raw);
        let text = raw.toString('latin1').replace(/^(>*From )/gm, '>$1');
        if (!text.endsWith('\n')) text += '\n';
        try {
          appendFileSync(
            path,
            Buffer.from(`From ${from || 'MAILER-DAEMON'} ${asctime(new Date())}\n${text}\n`, 'latin1'),
          );
        } catch (error) {
          throw new TransportError([`cannot append to '${path}': ${strerror(error)}`]);
        }
      }),
    async end() {},
  };
}

/** A message gathered whole in memory and handed to `send` when it is closed (one SMTP send, one mbox append). */
function bufferedMessage(send: (raw: Buffer) => Promise<void>): OutgoingMessage {
  const parts: Uint8Array[] = [];
  return {
    write(bytes) {
      parts.push(Buffer.from(bytes));
    },
    close: () => send(Buffer.concat(parts)),
  };
}

function asctime(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/** The transport chosen by `--smtp URL`, `--mbox FILE`, or else `--sendmail PATH` / `$SENDMAIL` / /usr/sbin/sendmail. */
export async function chooseTransport(
  options: { smtp?: string | undefined; mbox?: string | undefined; sendmail?: string | undefined },
  style: 'smail' | 'dequeue',
): Promise<MailTransport> {
  if (options.smtp) return smtpTransport(options.smtp);
  if (options.mbox) return mboxTransport(options.mbox);
  return sendmailTransport(options.sendmail || process.env.SENDMAIL || DEFAULT_SENDMAIL, style);
}
