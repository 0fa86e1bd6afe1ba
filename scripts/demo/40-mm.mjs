// mm: mirror two local "sites" with cp (POSIX, on every base system; a real mirror would run rsync), jobs listed by
// pkgs_to_mmin from mirror package files, then the status, and last the status page (kept in the system's temporary
// directory after the demo's own is removed).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function mm({ dir, tool, log }) {
  const home = join(dir, 'mirrors');
  for (const [site, pkg, file] of [
    ['ftp.example.org', 'gnu tools', 'hello.c'],
    ['ftp.example.org', 'x11', 'xterm.c'],
    ['mirror.test', 'docs', 'README'],
  ]) {
    await mkdir(join(home, 'remote', site, pkg), { recursive: true });
    await writeFile(join(home, 'remote', site, pkg, file), `${site} ${pkg}\n`);
  }
  await mkdir(join(home, 'packages'));
  await writeFile(
    join(home, 'packages', 'ftp.example.org'),
    'package=defaults\nsite=ftp.example.org\n\npackage=gnu tools\n\npackage=x11\n\npackage=retired\nskip=gone\n',
  );
  await writeFile(join(home, 'packages', 'mirror.test'), 'package=docs\nsite=mirror.test\n');
  await tool('pkgs_to_mmin', ['-y', '24', '-n', '2', 'packages/ftp.example.org', 'packages/mirror.test'], {
    cwd: home,
  });
  const bin = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'bin', 'pkgs_to_mmin.js');
  const config = [
    '# mirror everything listed in packages/, two at a time',
    'max=2',
    'mirror=mkdir -p "mirror/$site/$package" && cp -R "remote/$site/$package/." "mirror/$site/$package/" > logs/$site:$pkg 2>&1',
    `cmdin="${process.execPath}" "${bin}" -y 24 -n 2 packages/*`,
    'cmd=echo "all mirrors done" > logs/summary',
    '',
  ].join('\n');
  await writeFile(join(home, 'mm.conf'), config);
  log('$ cat mm.conf');
  log(config.trimEnd());
  await tool('mm', ['--verbose', 'mm.conf'], { cwd: home });
  log(
    `mirrored: ${(await readFile(join(home, 'mirror', 'ftp.example.org', 'gnu tools', 'hello.c'), 'utf8')).trim()}`,
  );
  await tool('mm', ['--status', 'mm.conf'], { cwd: home });
  // A second run: every job ran a moment ago, so their retry timers hold them back ("Not trying ...: N seconds
  // to go" on stderr, as mm.pl says it); --why says why.
  await tool('mm', ['mm.conf'], { cwd: home });
  await tool('mm', ['--why', 'mirror.test:docs', 'mm.conf'], { cwd: home });
  log('$ cat mm.status');
  log((await readFile(join(home, 'mm.status'), 'utf8')).trimEnd());
  // The status page: one static HTML file, replaced atomically (`mm serve` serves it live, with /jobs and /metrics).
  const page = join(tmpdir(), 'suite-demo-mm-status.html');
  await tool('mm', ['--status', '--html', page, 'mm.conf'], { cwd: home });
  log(`status page: ${page}`);
}
