import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseJobName } from '../src/index.js';
import {
  type ConfigHost,
  DEFAULT_MIRROR_COMMAND,
  loadConfig,
  type MirrorJob,
  parseConfig,
  readConfig,
} from '../src/mm/index.js';

describe('parseConfig', () => {
  it('reads every statement in order and ignores comments, blank lines and what follows EXIT', () => {
    const text = [
      '# a comment',
      '',
      'home=/srv/mirror',
      'max=3',
      'mirror=exec ./mirror $args -p"$package" packages/$site',
      'cmd=sync',
      'cmdin=./pkgs_to_mmin packages/*',
      'skip=ftp.x.org:gnu',
      'ftp.x.org:gnu  8 2   -v -gfoo',
      'EXIT',
      'after:exit 1 1',
    ].join('\n');
    const { statements, diagnostics } = parseConfig(text, 'mm.conf');
    expect(diagnostics).toEqual([]);
    expect(statements.map((s) => s.kind)).toEqual(['home', 'max', 'mirror', 'cmd', 'cmdin', 'skip', 'job']);
    expect(statements[6]).toMatchObject({
      kind: 'job',
      line: { name: { site: 'ftp.x.org', package: 'gnu' }, okHours: 8, notOkHours: 2, argsText: '-v -gfoo' },
      at: { file: 'mm.conf', line: 9 },
    });
  });

  it('splits the site at the LAST colon and keeps spaces in package names', () => {
    const { statements } = parseConfig('ftp.x.org:21:gnu tools  8  2\n', 'f');
    expect(statements[0]).toMatchObject({
      line: { name: { site: 'ftp.x.org:21', package: 'gnu tools', pkg: 'gnu_tools' }, argsText: '' },
    });
  });

  it('warns about unparsable lines with file:line and loses nothing else', () => {
    const { statements, diagnostics } = parseConfig(
      'a:b 1 1\nthis is not a job\nmax=two\nc:d 1 1\n',
      'mm.conf',
    );
    expect(statements.map((s) => (s.kind === 'job' ? s.line.name.id : s.kind))).toEqual(['a:b', 'c:d']);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'mm.conf:2: warning: unparsable line ignored: "this is not a job"',
      'mm.conf:3: error: max=two: not a whole number',
    ]);
  });

  it('refuses names that cannot be used safely, naming the line', () => {
    const { statements, diagnostics } = parseConfig('../etc:x 1 1\na/b:c 1 1\n-rf:x 1 1\nok:x 1 1\n', 'm');
    expect(statements).toHaveLength(1);
    expect(diagnostics.map((d) => `${d.file}:${d.line} ${d.severity}`)).toEqual([
      'm:1 error',
      'm:2 error',
      'm:3 error',
    ]);
    expect(diagnostics[1]!.message).toContain("unsafe job name 'a/b:c'");
  });

  it('accepts hostile but harmless names (they reach the shell only as data)', () => {
    for (const id of ['x;touch>F:p', '$(touch F):p', '`touch F`:p', "it's:o'k"]) {
      expect(parseJobName(id).id).toBe(id);
    }
  });
});

describe('loadConfig', () => {
  const host = (outputs: Record<string, string> = {}): ConfigHost => ({
    resolveHome: async (current, dir) => {
      if (dir === 'missing') throw new Error('no such directory: /missing');
      return dir.startsWith('/') ? dir : `${current}/${dir}`;
    },
    readCommandOutput: async (command, cwd) => {
      const out = outputs[`${cwd} ${command}`];
      if (out === undefined) throw new Error(`exited with status 127`);
      return out;
    },
  });

  it('applies home=, mirror= and max= to what follows; cmd= becomes a barrier; cmdin= is read in place', async () => {
    const text = 'a:1 1 2\nhome=/m\nmirror=echo $site $args\ncmdin=gen\ncmd=sync\nmax=2\nb:2 1 1 -x\n';
    const plan = await loadConfig([{ name: 'mm.conf', text }], host({ '/m gen': 'inc:1 3 4\n' }), {
      home: '/start',
      extraArgs: ['-n'],
      hourMs: 10,
    });
    expect(plan.hasErrors).toBe(false);
    expect(plan.steps.map((s) => (s.kind === 'max' ? `max ${s.max}` : `${s.kind} ${s.job.id}`))).toEqual([
      'job a:1',
      'job inc:1',
      'barrier cmd=sync',
      'max 2',
      'job b:2',
    ]);
    const [a, inc, b] = plan.jobs as [MirrorJob, MirrorJob, MirrorJob];
    expect(a).toMatchObject({ cwd: '/start', retryAfterSuccess: 10, retryAfterFailure: 20, args: ['-n'] });
    expect(a.command).not.toBe(DEFAULT_MIRROR_COMMAND); // substituted
    expect(inc).toMatchObject({
      cwd: '/m',
      command: 'echo "$MM_SITE" "$@"',
      at: { file: 'mm.conf:4: cmdin', line: 1 },
    });
    expect(b).toMatchObject({
      command: 'echo "$MM_SITE" -x "$@"',
      args: ['-n'],
      env: { MM_SITE: 'b', MM_PACKAGE: '2', MM_PKG: '2' },
    });
    expect(plan.homes).toEqual(['/start', '/m']);
  });

  it('the first occurrence of a job wins, as in mm.pl; later ones are mentioned (info, for --verbose)', async () => {
    const plan = await loadConfig([{ name: 'f', text: 'a:1 1 1\na:1 5 5\n' }], host(), { home: '/' });
    expect(plan.jobs).toHaveLength(1);
    expect(plan.diagnostics.map(formatDiagnostic)).toEqual([
      'f:2: info: duplicate job a:1 ignored (first at f:1)',
    ]);
  });

  it('reports a failing cmdin= and a missing home as errors naming the line; mm.pl dies at the home=, so reading stops there', async () => {
    const plan = await loadConfig(
      [{ name: 'f', text: 'x:1 1 1\ncmdin=nope\nhome=missing\ny:1 1 1\n' }],
      host(),
      { home: '/' },
    );
    expect(plan.hasErrors).toBe(true);
    expect(plan.jobs.map((j) => j.id)).toEqual(['x:1']);
    expect(plan.diagnostics.map(formatDiagnostic)).toEqual([
      'f:2: error: cmdin=nope: exited with status 127',
      'f:3: error: home=missing: no such directory: /missing; nothing after it is read',
    ]);
  });

  describe('mm.pl statement syntax', () => {
    it("reads each statement as mm.pl's regular expression does: white space around =, home='s first word, max='s leading digits, cmd= alone", () => {
      const text = [
        'home = /srv/m  trailing words',
        'max = 2   # two at a time',
        'mirror   =   echo $site',
        'skip =  a:b  ',
        'cmd=',
        'cmdin = ls',
      ].join('\n');
      const { statements, diagnostics } = parseConfig(text, 'f');
      expect(diagnostics).toEqual([]);
      expect(statements).toMatchObject([
        { kind: 'home', dir: '/srv/m' },
        { kind: 'max', max: 2 },
        { kind: 'mirror', command: 'echo $site' },
        { kind: 'skip', id: 'a:b' },
        { kind: 'cmd', command: '' },
        { kind: 'cmdin', command: 'ls' },
      ]);
      const bad = parseConfig('max=0\nmax=-1\nhome=\n', 'f').diagnostics.map(formatDiagnostic);
      expect(bad).toEqual([
        'f:1: error: max=0: at least one job must be able to run',
        'f:2: error: max=-1: not a whole number',
        'f:3: error: home= needs a directory',
      ]);
    });
  });

  describe('readConfig (the configuration read as it runs)', () => {
    it('resolves home= and runs cmdin= only when the steps before them have been taken, as mm.pl obeys statements in order', async () => {
      const log: string[] = [];
      const host: ConfigHost = {
        resolveHome: async (_current, dir) => {
          log.push(`home ${dir}`);
          return `/${dir}`;
        },
        readCommandOutput: async (command) => {
          log.push(`cmdin ${command}`);
          return 'c:1 0 0\n';
        },
      };
      const text = 'a:1 0 0\ncmd=mkdir x\nhome=x\nb:1 0 0\ncmdin=gen\nskip=b:1\nb:1 0 0\nskip=c:2\n';
      for await (const step of readConfig([{ name: 'f', text }], host, { home: '/' })) {
        log.push(
          step.kind === 'max'
            ? 'max'
            : `${step.kind} ${step.job.id}${'skip' in step && step.skip ? ' (skip)' : ''}`,
        );
      }
      expect(log).toEqual(['job a:1', 'barrier cmd=mkdir x', 'home x', 'job b:1', 'cmdin gen', 'job c:1']);
    });

    it('applies skip= to the job lines after it only, as mm.pl does', async () => {
      const host: ConfigHost = { resolveHome: async () => '/', readCommandOutput: async () => '' };
      const plan = await loadConfig([{ name: 'f', text: 'a:1 0 0\nskip=a:1\nskip=b:1\nb:1 0 0\n' }], host, {
        home: '/',
      });
      expect(plan.steps.map((s) => (s.kind === 'job' ? [s.job.id, s.skip === true] : s.kind))).toEqual([
        ['a:1', false],
        ['b:1', true],
      ]);
    });
  });
});
