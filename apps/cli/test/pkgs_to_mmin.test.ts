import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin } from './_support.js';

const exec = promisify(execFile);
const run = (cwd: string, args: string[]) =>
  exec(process.execPath, [bin('pkgs_to_mmin'), ...args], { cwd }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pkgs-'));
  await mkdir(join(dir, 'packages'));
  await writeFile(
    join(dir, 'packages', 'uk'),
    'package=defaults\nsite=ftp.uk.org\n\npackage=gnu tools\nremote_dir=/gnu\n\npackage=old\nskip=gone\n',
  );
  await writeFile(join(dir, 'packages', 'x11'), '# X\npackage=x11\nsite=ftp.x.org\n\nremote_dir=/nothing\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pkgs_to_mmin', () => {
  it('prints one job line per package, BASENAME:package OK NOTOK (defaults 8 8)', async () => {
    const r = await run(dir, ['packages/uk', 'packages/x11']);
    expect(r.stdout).toBe('uk:gnu tools 8 8\nx11:x11 8 8\n');
    expect(r.stderr).toBe('pkgs_to_mmin: packages/x11:5: warning: package without package= ignored\n');
  });

  it('takes -y and -n, written with or without the space', async () => {
    expect((await run(dir, ['-y', '24', '-n4', 'packages/x11'])).stdout).toBe('x11:x11 24 4\n');
    expect(await run(dir, ['-y', 'soon', 'packages/x11'])).toMatchObject({ code: 2 });
  });

  it('says which file it cannot read, prints the rest, and exits 2', async () => {
    const r = await run(dir, ['packages/nope', 'packages/x11']);
    expect(r).toMatchObject({ code: 2, stdout: 'x11:x11 8 8\n' });
    expect(r.stderr).toContain('cannot read packages/nope: ENOENT');
  });

  it('starts a new package at each package= line, blank line or not, and trims the name, as pkgs_to_mmin.pl does', async () => {
    await writeFile(join(dir, 'packages', 'nb'), 'package=a\nsite=s\npackage=  x11  \nsite=s');
    expect(await run(dir, ['packages/nb'])).toMatchObject({ stdout: 'nb:a 8 8\nnb:x11 8 8\n', stderr: '' });
  });

  it('feeds mm through cmdin=', async () => {
    await writeFile(
      join(dir, 'mm.conf'),
      `mirror=echo $site:$package >> ran\ncmdin=${process.execPath} ${bin('pkgs_to_mmin')} packages/*\n`,
    );
    const r = await exec(process.execPath, [bin('mm'), '--verbose', 'mm.conf'], { cwd: dir });
    expect(r.stdout).toContain('2 ran, 2 succeeded');
  });
});
