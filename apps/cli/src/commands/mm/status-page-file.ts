import type { MirrorPlan } from '@suite/mirror-scheduler/mm';
import { renderStatusPage } from '@suite/mirror-scheduler/node';
import { planSnapshot, writeFileAtomically } from './status-snapshot.js';

/**
 * `mm --status --html [FILE]`: the status page to FILE (replaced atomically, so a web server can serve it while
 * mm rewrites it) or to standard output (`-`). Exit status 0, or 1 if FILE cannot be written.
 */
export async function writeStatusPage(plan: MirrorPlan, file: string): Promise<number> {
  return writePage(renderStatusPage(await planSnapshot(plan, undefined, { totals: false })), file);
}

/** Writes a rendered page to FILE atomically, or to standard output for `-`; 0, or 1 if FILE cannot be written. */
export async function writePage(html: string, file: string): Promise<number> {
  if (file === '-') {
    process.stdout.write(html);
    return 0;
  }
  try {
    await writeFileAtomically(file, html);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    process.stderr.write(`mm: cannot write the status page ${file}: ${e.code ?? e.message}\n`);
    return 1;
  }
  return 0;
}
