// ctm_smail, ctm_dequeue and ctm_rmail: a delta goes out as mail pieces into an mbox (directly, and through a
// queue), comes back with ctm_rmail from the mailbox, rebuilt byte for byte, and is applied to a tree with ctm.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export default async function ctmMail({ dir, tool, log }) {
  const base = join(dir, 'ctm-mail');
  const [old, now, tree, pieces, deltas, queue] = ['old', 'new', 'tree', 'pieces', 'deltas', 'queue'].map(
    (d) => join(base, d),
  );
  for (const d of [old, now, tree, pieces, deltas, queue]) await mkdir(d, { recursive: true });
  // A tree at delta 0, and the same tree with a new file: `ctm diff` makes delta 1 between them.
  for (const d of [old, now, tree]) await writeFile(join(d, '.ctm_status'), 'src-cur 0\n');
  const blob = randomBytes(20_000).toString('base64');
  await writeFile(join(now, 'README'), 'CTM mail demo\n');
  await writeFile(join(now, 'blob.txt'), blob);
  const delta = join(base, 'src-cur.0001.gz');
  await tool('ctm', ['diff', '-o', delta, old, now, 'src-cur', '1']);
  const bytes = await readFile(delta);

  const mbox = join(base, 'mbox');
  await writeFile(
    mbox,
    'From friend Sat Nov 21 07:00:00 2026\nFrom: friend\nSubject: hello\n\nOrdinary mail.\n\n',
  );
  await tool('ctm_smail', ['-m', '6000', '--mbox', mbox, delta, 'ctm-src-cur']);
  await tool('ctm_smail', ['-m', '6000', '-q', queue, delta, 'ctm-src-cur']);
  await tool('ctm_dequeue', ['-n', '2', '--mbox', join(base, 'mbox2'), queue]);

  await tool('ctm_rmail', ['-p', pieces, '-d', deltas, '-b', tree, mbox]);
  if (!(await readFile(join(deltas, 'src-cur.0001.gz'))).equals(bytes))
    throw new Error('the rebuilt delta differs');
  if ((await readFile(join(tree, 'blob.txt'), 'utf8')) !== blob) throw new Error('the tree was not updated');
  log(
    `rebuilt src-cur.0001.gz (${bytes.length} bytes) byte for byte; tree now at "${(await readFile(join(tree, '.ctm_status'), 'utf8')).trim()}"`,
  );
  // The same pieces delivered again are recognised as duplicates: nothing is stored twice.
  await tool('ctm_rmail', ['-p', pieces, '-d', deltas, join(base, 'mbox2')]);
}
