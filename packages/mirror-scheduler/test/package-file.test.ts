import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/index.js';
import { packageFileToJobLines } from '../src/mm/index.js';

describe('packageFileToJobLines (pkgs_to_mmin)', () => {
  it('prints BASENAME:package OK NOTOK for each package; defaults and skip= are not jobs', () => {
    const text = [
      'package=defaults',
      'site=ftp.uk.org',
      '',
      '# gnu',
      'package=gnu tools',
      'remote_dir=/gnu',
      '',
      'package=old',
      'site=ftp.x.org',
      'skip=gone away',
      '',
      'package=x11',
      'site=ftp.x.org',
    ].join('\n');
    const { lines, diagnostics } = packageFileToJobLines(text, 'packages/uk', 'uk', 8, 4);
    expect(lines).toEqual(['uk:gnu tools 8 4', 'uk:x11 8 4']);
    expect(diagnostics).toEqual([]);
  });

  it('leaves out packages without package= or site= and lines that are not key=value, naming file:line', () => {
    const { lines, diagnostics } = packageFileToJobLines(
      'site=a\n\npackage=p\nnonsense\n',
      'pk/s',
      's',
      8,
      8,
    );
    expect(lines).toEqual([]);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'pk/s:4: warning: not a key=value line: "nonsense"',
      'pk/s:1: warning: package without package= ignored',
      'pk/s:3: warning: package p has no site= and is left out',
    ]);
  });

  it('starts a new package at a package= line even without a blank line before it, and trims the name, as pkgs_to_mmin.pl does', () => {
    const text = 'package=a\nsite=s\npackage=  b  \nsite=s\npackage = c\nsite=s\n';
    expect(packageFileToJobLines(text, 'packages/nb', 'nb', 8, 8).lines).toEqual([
      'nb:a 8 8',
      'nb:b 8 8',
      'nb:c 8 8',
    ]);
  });

  it('fixes pkgs_to_mmin.pl: the last package of a file without a final newline, a skip= last in its package and package=defaults are never printed wrongly', () => {
    expect(packageFileToJobLines('package=last\nsite=s', 'f', 'f', 8, 8).lines).toEqual(['f:last 8 8']);
    const uk = 'package=defaults\nsite=ftp.uk.org\n\npackage=gnu\n\npackage=old\nskip=gone';
    expect(packageFileToJobLines(uk, 'uk', 'uk', 8, 8).lines).toEqual(['uk:gnu 8 8']);
  });
});
