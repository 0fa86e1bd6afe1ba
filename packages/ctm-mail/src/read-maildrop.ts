import type { PieceIntake } from './intake.js';
import { MaildropReader } from './maildrop.js';
import type { MimeDecoder } from './ports.js';
import { PieceScanner } from './scanner.js';

/** What reading one maildrop found. */
export interface MaildropResult {
  /** BEGIN lines seen (0: "message contains no delta"). */
  readonly pieces: number;
  /** Pieces discarded as bad mail. */
  readonly failures: number;
  /** Good pieces that could not be stored, or deltas not built: local failures, worth a retry (EX_TEMPFAIL). */
  readonly lost: number;
}

/**
 * Reads one maildrop (an mbox, a single message, or bare text) from `chunks`: finds every piece, decoding
 * MIME-encoded messages with `decodeMime`, and hands them to `intake` to store and assemble.
 * @example
 * const result = await readMaildrop(fileChunks, { intake, decodeMime });
 * if (result.pieces === 0) log('message contains no delta');
 */
export async function readMaildrop(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: { readonly intake: PieceIntake; readonly decodeMime: MimeDecoder },
): Promise<MaildropResult> {
  const { intake, decodeMime } = options;
  const reader = new MaildropReader();
  const scanner = new PieceScanner();
  intake.takeFailures();
  intake.takeLost();
  const handle = async (segments: ReturnType<MaildropReader['feed']>) => {
    for (const segment of segments) {
      if (segment.kind === 'plain') {
        await intake.handle(scanner.feed(segment.bytes));
        continue;
      }
      const first = scanner.line;
      let texts: readonly Uint8Array[];
      try {
        texts = await decodeMime(segment.message);
      } catch {
        // Not decodable: scan it as it is, as the original would.
        texts = [segment.message];
      }
      for (const text of texts) {
        await intake.handle(scanner.feed(text));
        if (text.length > 0 && text[text.length - 1] !== 10) await intake.handle(scanner.feed(NEWLINE));
        scanner.line = first;
      }
      scanner.line = first + segment.lines;
    }
  };
  for await (const chunk of chunks) await handle(reader.feed(chunk));
  await handle(reader.end());
  await intake.handle(scanner.end());
  return { pieces: scanner.begins, failures: intake.takeFailures(), lost: intake.takeLost() };
}

const NEWLINE = new Uint8Array([10]);
