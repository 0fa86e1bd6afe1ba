// ctm: a publisher makes delta 1 with `ctm diff`, mails it with ctm_smail (here into an mbox, in small pieces);
// the mirror rebuilds it from the mailbox with ctm_rmail and applies it with `ctm_rmail -b` (which runs our ctm).
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function write(root, files) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

function files(root, rel = '') {
  const out = {};
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, files(root, path));
    else if (path !== '.ctm_status') out[path] = readFileSync(join(root, path), 'utf8');
  }
  return out;
}

export default async function ctm({ dir, tool, log }) {
  const root = join(dir, 'ctm');
  const [old, neu, mirror, pieces, deltas] = ['old', 'new', 'mirror', 'pieces', 'deltas'].map((d) =>
    join(root, d),
  );
  const mbox = join(root, 'mbox');
  const lines = (n, tag = '') =>
    Array.from({ length: n }, (_, i) => `line ${i}${i === 5 ? tag : ''}\n`).join('');
  write(old, {
    '.ctm_status': 'demo 0\n',
    README: 'version 1\n',
    'src/main.c': lines(40),
    'src/old.c': 'bye\n',
  });
  write(neu, { README: 'version 2\n', 'src/main.c': lines(40, ' (edited)'), 'lib/util.c': 'new\n' });
  cpSync(old, mirror, { recursive: true });
  mkdirSync(pieces);
  mkdirSync(deltas);

  const delta = join(root, 'demo.0001.gz');
  await tool('ctm', ['diff', old, neu, 'demo', '1', '-o', delta]);
  await tool('ctm', ['-l', '-q', delta]);
  await tool('ctm_smail', ['-m', '300', '--mbox', mbox, delta, 'mirror@example.org']);
  await tool('ctm_rmail', ['-p', pieces, '-d', deltas, '-b', mirror, '-v', mbox]);

  const got = files(mirror);
  const want = files(neu);
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error('ctm: the mirror does not match NEW');
  if (readFileSync(join(mirror, '.ctm_status'), 'utf8') !== 'demo 1\n')
    throw new Error('ctm: .ctm_status not 1');
  await tool('ctm', ['-b', mirror, delta]); // already applied: skipped, exit 0
  log(
    'ctm: delta made by `ctm diff`, mailed by ctm_smail, rebuilt and applied by `ctm_rmail -b`: mirror = NEW',
  );
}
