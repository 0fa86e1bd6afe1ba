// The packaging test: from a clean clone of HEAD (nothing built), pack every package as npm would publish it (its
// prepack builds it), check that each tarball holds every file its package.json points at, install the tarballs
// into an empty project, and use them there the way users will: ESM imports of each entry, require() from
// CommonJS, the CLI through npx. publint and @arethetypeswrong/cli (ESM-only profile) check metadata and types.
// Private workspace packages (@suite/internal) are not packed: each tarball must neither depend on nor import one.
// Every public entry's export names (run time and types) are compared with scripts/exports-snapshot.json, and no
// exported declaration may refer to a type its package does not export (scripts/api-surface.mjs);
// `npm run pack-test -- --update` rewrites the snapshot from the tarballs instead of comparing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { extractExamples, sandboxPaths } from './readme-examples.mjs';

const update = process.argv.includes('--update');

const checkout = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'suite-pack-'));
const root = join(work, 'clone');
console.log(`pack-test: cloning ${checkout} (HEAD; commit what you want tested) and npm ci without building`);
execFileSync('git', ['clone', '-q', checkout, root], { stdio: 'inherit' });
execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const readPackage = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const workspaceDirs = [
  ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
  join(root, 'apps', 'cli'),
];
const packageDirs = workspaceDirs.filter((dir) => !readPackage(dir).private);
const privateNames = workspaceDirs
  .filter((dir) => readPackage(dir).private)
  .map((dir) => readPackage(dir).name);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Every file a package.json points at: main, types, each export condition, each bin; plus LICENSE and README. */
function promisedFiles(pkg) {
  const files = new Set(['package.json', 'LICENSE', 'README.md']);
  const add = (target) => {
    if (typeof target === 'string') files.add(target.replace(/^\.\//, ''));
    else if (target && typeof target === 'object') Object.values(target).forEach(add);
  };
  add(pkg.main);
  add(pkg.types);
  add(pkg.exports);
  add(pkg.bin);
  return [...files];
}
const failures = [];
const TOOL_LIST = `import('@suite/cli').then((m) => console.log(JSON.stringify({ tools: Object.keys(m.tools) })))`;

function step(title, fn) {
  process.stdout.write(`pack-test: ${title} ... `);
  try {
    fn();
    process.stdout.write('ok\n');
  } catch (error) {
    process.stdout.write('FAILED\n');
    failures.push(title);
    const out = [error.stdout, error.stderr].filter(Boolean).join('\n');
    console.error(out || error.message);
  }
}

const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

const tarballs = [];
const names = [];
try {
  for (const dir of packageDirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const { name } = pkg;
    names.push(name);
    const before = new Set(readdirSync(work));
    step(`${name}: npm pack builds it (prepack)`, () =>
      run('npm', ['pack', '--pack-destination', work], { cwd: dir }),
    );
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz') && !before.has(f));
    if (!tarball) continue;
    tarballs.push(join(work, tarball));
    step(`${name}: the tarball holds every entry point, type file and bin`, () => {
      const listed = new Set(
        run('tar', ['-tzf', join(work, tarball)])
          .split('\n')
          .map((f) => f.replace(/^package\//, '')),
      );
      const missing = promisedFiles(pkg).filter((f) => !listed.has(f));
      if (missing.length > 0) throw new Error(`${tarball} lacks ${missing.join(', ')}`);
    });
    step(
      `${name}: the tarball depends on no private workspace package and none of its files imports one`,
      () => {
        const unpacked = mkdtempSync(join(work, 'unpacked-'));
        run('tar', ['-xzf', join(work, tarball), '-C', unpacked]);
        const packed = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'));
        const named = DEPENDENCY_FIELDS.flatMap((field) =>
          Object.keys(packed[field] ?? {})
            .filter((dep) => privateNames.includes(dep))
            .map((dep) => `${field}: ${dep}`),
        );
        const importing = readdirSync(join(unpacked, 'package'), { recursive: true })
          .filter((f) => /\.(c|m)?(js|ts)$/.test(f))
          .filter((f) => {
            const text = readFileSync(join(unpacked, 'package', f), 'utf8');
            return privateNames.some((dep) => new RegExp(`['"\`]${dep}(/[^'"\`]*)?['"\`]`).test(text));
          });
        if (named.length > 0 || importing.length > 0) {
          throw new Error(
            `${tarball}: ${[...named, ...importing.map((f) => `${f} imports a private package`)].join('; ')}`,
          );
        }
      },
    );
    step(`${name}: publint`, () => run(bin('publint'), ['--strict'], { cwd: dir }));
    step(`${name}: attw (esm-only)`, () =>
      run(bin('attw'), [join(work, tarball), '--profile', 'esm-only'], { cwd: dir }),
    );
  }

  const project = join(work, 'project');
  run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-test', private: true }, null, 2));
  step('install the tarballs into an empty project', () =>
    run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: project }),
  );

  step(
    update
      ? 'rewrite scripts/exports-snapshot.json from the installed tarballs'
      : 'every public entry exports what scripts/exports-snapshot.json records, and no exported type leaks an unexported one',
    () => {
      // Compared with the snapshot of the commit under test; --update writes the checkout's.
      const snapshot = join(update ? checkout : root, 'scripts', 'exports-snapshot.json');
      const dirs = names.map((n) => join(project, 'node_modules', n));
      const flags = [...(update ? ['--update'] : []), '--all', '--snapshot', snapshot];
      const out = run(process.execPath, [join(root, 'scripts', 'api-surface.mjs'), ...flags, ...dirs]);
      if (update) console.log(out.trim());
    },
  );

  const libraries = names.filter((n) => n !== '@suite/cli');
  for (const name of libraries) {
    step(`${name}: import '${name}' and '${name}/node'`, () => {
      const code = `const a = await import('${name}'); const b = await import('${name}/node');
        if (Object.keys(a).length === 0 || Object.keys(b).length === 0) throw new Error('empty module');`;
      run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
    });
    step(`${name}: require('${name}') from CommonJS`, () => {
      writeFileSync(
        join(project, 'check.cjs'),
        `const m = require('${name}'); if (Object.keys(m).length === 0) throw new Error('empty module');\n`,
      );
      run(process.execPath, ['check.cjs'], { cwd: project });
    });
  }

  // Every README code example, as written, against the installed tarballs (scripts/readme-examples.mjs says how).
  const esbuild = createRequire(join(root, 'package.json'))('esbuild');
  const readmes = [join(root, 'README.md'), ...packageDirs.map((dir) => join(dir, 'README.md'))];
  for (const block of readmes.flatMap((f) => extractExamples(f))) {
    const where = `${relative(root, block.file)}:${block.line}`;
    if (block.problem) {
      step(`${where}: ${block.problem}`, () => {
        throw new Error(block.problem);
      });
      continue;
    }
    if (!block.run) continue;
    step(`${where}: the ${block.lang} example runs`, () => {
      const sandbox = mkdtempSync(join(work, 'example-'));
      const { code } = sandboxPaths(`${block.given}\n${block.code}`, sandbox);
      for (const path of code.match(new RegExp(`${sandbox}/[^'"\`]*`, 'g')) ?? []) {
        mkdirSync(dirname(path), { recursive: true });
      }
      const js = esbuild.transformSync(code, { loader: 'ts', format: 'esm', target: 'node20' }).code;
      const file = join(project, `example-${block.line}-${basename(dirname(block.file))}.mjs`);
      writeFileSync(file, js);
      // An example may end with a status of its own (a mirror it cannot reach fails its job): that is running as
      // written. A crash (an uncaught error's stack trace), a signal or a timeout is not.
      const r = spawnSync(process.execPath, [file], { cwd: sandbox, timeout: 60_000, encoding: 'utf8' });
      if (r.error || r.signal || /^\s+at .+\)?$/m.test(r.stderr)) {
        throw new Error(`${where}: ${r.error?.message ?? r.signal ?? ''}\n${r.stderr}`);
      }
    });
  }

  step('npx @suite/cli --help lists the tools', () => {
    const out = run('npx', ['--no-install', '@suite/cli', '--help'], { cwd: project });
    if (!/uuidgen/.test(out) || !/ctm_rmail/.test(out)) throw new Error(`unexpected --help output:\n${out}`);
  });
  // Every tool answers `npx @suite/cli <tool> --help` with exit 0.
  const { tools } = JSON.parse(run(process.execPath, ['-e', TOOL_LIST], { cwd: project }));
  for (const tool of tools) {
    step(`npx @suite/cli ${tool} --help`, () => {
      run('npx', ['--no-install', '@suite/cli', tool, '--help'], { cwd: project });
    });
  }
  step('npx @suite/cli uuidgen prints a UUID', () => {
    const out = run('npx', ['--no-install', '@suite/cli', 'uuidgen'], { cwd: project });
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/.test(out)) {
      throw new Error(`not a v4 UUID line: ${JSON.stringify(out)}`);
    }
  });
  step('npx @suite/cli lock runs a command under a lock and passes its exit status on', () => {
    writeFileSync(join(project, 'exit3.cjs'), 'process.exit(3)\n');
    try {
      run(
        'npx',
        [
          '--no-install',
          '@suite/cli',
          'lock',
          join(project, 'pack.lock'),
          '--',
          process.execPath,
          'exit3.cjs',
        ],
        {
          cwd: project,
        },
      );
      throw new Error('lock exited 0, expected 3');
    } catch (error) {
      if (error.status !== 3) throw error;
    }
  });

  // Every subpath @suite/ctm-mail's package.json exports (not only '.' and './node') imports, non-empty, as installed.
  for (const name of libraries.filter((n) => n === '@suite/ctm-mail')) {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'));
    for (const subpath of Object.keys(pkg.exports ?? {}).filter((k) => k !== './package.json')) {
      const specifier = subpath === '.' ? name : `${name}${subpath.slice(1)}`;
      step(`${specifier}: import it`, () => {
        const code = `const m = await import('${specifier}');
          if (Object.keys(m).length === 0) throw new Error('empty module');`;
        run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
      });
    }
  }
  // @suite/ctm-mail: one domain per entry. The ctm(5) delta format is './delta' (and './delta/node' with its Node
  // adapters); '.' and './node' are the mail side; the delta format's DeltaSource is what deltaFileSource returns.
  step("@suite/ctm-mail: the delta format under './delta' and './delta/node' only", () => {
    const code = `const root = await import('@suite/ctm-mail'); const node = await import('@suite/ctm-mail/node');
      const delta = await import('@suite/ctm-mail/delta'); const deltaNode = await import('@suite/ctm-mail/delta/node');
      const want = (m, where, names, present) => { for (const n of names) if ((n in m) !== present)
        throw new Error(where + (present ? ' lacks ' : ' still exports ') + n); };
      const format = ['applyDelta', 'readDelta', 'makeDelta', 'encodeDelta', 'MemoryTree', 'CtmError', 'CtmExit',
        'parseCtmStatus', 'readCtmStatus'];
      const adapters = ['NodeTree', 'deltaFileSource', 'deltaBytesSource', 'applyDeltaFile', 'writeDeltaFile'];
      const mail = ['splitDelta', 'PieceIntake', 'readMaildrop', 'applyCompleted', 'CtmMailError'];
      want(delta, './delta', format, true); want(deltaNode, './delta/node', [...format, ...adapters], true);
      want(root, '.', [...format, ...adapters], false); want(node, './node', [...format, ...adapters], false);
      want(root, '.', mail, true); want(node, './node', [...mail, 'FilePieceStore', 'fdSource'], true);
      want(delta, './delta', mail, false); want(deltaNode, './delta/node', mail, false);
      if (delta.CtmError !== deltaNode.CtmError) throw new Error('two CtmError classes');`;
    run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
  });
  step(
    "@suite/ctm-mail: 'const s: DeltaSource = deltaFileSource(p)' type-checks against the installed types",
    () => {
      writeFileSync(
        join(project, 'delta-source.mts'),
        `import { type DeltaSource, deltaFileSource } from '@suite/ctm-mail/delta/node';
import type { DeltaSource as CoreDeltaSource } from '@suite/ctm-mail/delta';
export const s: DeltaSource = deltaFileSource('x.0001.gz');
export const t: CoreDeltaSource = s;\n`,
      );
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--skipLibCheck',
          '--types',
          'node',
          '--typeRoots',
          join(root, 'node_modules', '@types'),
          'delta-source.mts',
        ],
        { cwd: project },
      );
    },
  );
  step(
    "@suite/uuid: import '@suite/uuid/uuidd' and '@suite/uuid/uuidd/node' (the protocol moved off the root)",
    () => {
      const code = `const root = await import('@suite/uuid'); const node = await import('@suite/uuid/node');
      const uuidd = await import('@suite/uuid/uuidd'); const uuiddNode = await import('@suite/uuid/uuidd/node');
      for (const n of ['encodeUuiddRequest', 'decodeUuiddReply', 'UuiddResponder', 'UUIDD_OP_TIME_UUID']) {
        if (!(n in uuidd) || !(n in uuiddNode)) throw new Error(n + ' missing from @suite/uuid/uuidd(/node)');
        if (n in root) throw new Error(n + ' is still exported by @suite/uuid');
      }
      for (const n of ['UuiddServer', 'UuiddClient', 'DEFAULT_UUIDD_SOCKET']) {
        if (!(n in uuiddNode)) throw new Error(n + ' missing from @suite/uuid/uuidd/node');
        if (n in node) throw new Error(n + ' is still exported by @suite/uuid/node');
      }
      if (typeof node.v1Safe !== 'function') throw new Error('v1Safe missing from @suite/uuid/node');`;
      run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
    },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`pack-test: ${failures.length} failed: ${failures.join('; ')}`);
  process.exitCode = 1;
} else {
  console.log('pack-test: all checks passed');
}
