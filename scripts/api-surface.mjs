// The public surface of every published package, read from its built (or installed) package as users get it:
// - each entry's export names, at run time (the module's keys, for each JS file its `exports` map names) and in
//   its types (what the TypeScript checker sees in the entry's .d.ts), compared with a committed snapshot
//   (scripts/exports-snapshot.json), so that an export is never lost or moved by accident;
// - no exported declaration refers to a type of the package that no entry exports (a "leaked" type: users could
//   not name it).
//
//   node scripts/api-surface.mjs            check the packages built in this checkout (npm run build first)
//   node scripts/api-surface.mjs --update   rewrite the snapshot from them (after a deliberate move)
//   node scripts/api-surface.mjs [--update] [--snapshot FILE] [--all] DIR...   only the packages in DIR... (--all:
//                                            they are all of them: a package missing from them is reported)
//
// scripts/pack-test.mjs runs the same checks on the packed tarballs (`npm run pack-test -- --update` rewrites the
// snapshot from those).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const SNAPSHOT = fileURLToPath(new URL('./exports-snapshot.json', import.meta.url));

/**
 * Leaks known and owned elsewhere, by package and type name; each is reported as a note, not a failure, and is
 * to be removed with its fix. @suite/ctm-mail has two `DeltaSource` types (the mail pieces' and the delta
 * format's), so the delta format's cannot be exported under its name: issue 13 gives the delta format its own
 * entry, `@suite/ctm-mail/delta`.
 */
export const KNOWN_LEAKS = {};

/** The JS and type files each entry of `exports` names: `{ '.': { types: 'dist/index.d.ts', default: ... } }`. */
export function entriesOf(pkg) {
  const entries = {};
  for (const [subpath, target] of Object.entries(pkg.exports ?? { '.': pkg.main })) {
    if (subpath === './package.json') continue;
    const conditions = typeof target === 'string' ? { default: target } : target;
    entries[subpath] = Object.fromEntries(
      Object.entries(conditions).filter(
        ([, file]) => typeof file === 'string' && /\.(c|m)?(js|ts)$/.test(file),
      ),
    );
  }
  return entries;
}

const compilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
};

/**
 * The surface of the package in `dir`: for every entry, its runtime names (per JS condition) and its type-level
 * names; and the leaked types of the whole package (a package's entries may export each other's types).
 */
export async function surfaceOf(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entries = entriesOf(pkg);
  const typeFiles = Object.values(entries)
    .map((c) => c.types)
    .filter(Boolean)
    .map((f) => resolve(dir, f));
  const program = ts.createProgram(typeFiles, compilerOptions);
  const checker = program.getTypeChecker();
  const resolveAlias = (symbol) =>
    symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

  const surface = {};
  const exported = new Map(); // the package's own exported declarations' symbols -> 'entry: name'
  for (const [subpath, conditions] of Object.entries(entries)) {
    const out = {};
    for (const [condition, file] of Object.entries(conditions)) {
      if (condition === 'types') continue;
      const module = await import(pathToFileURL(resolve(dir, file)).href);
      out[condition] = Object.keys(module).sort();
    }
    if (conditions.types) {
      const source = program.getSourceFile(resolve(dir, conditions.types));
      const moduleSymbol = source && checker.getSymbolAtLocation(source);
      if (!moduleSymbol) throw new Error(`${pkg.name}: ${conditions.types} is not a module`);
      const symbols = checker.getExportsOfModule(moduleSymbol);
      out.types = symbols.map((s) => s.name).sort();
      for (const s of symbols) exported.set(resolveAlias(s), `${subpath}: ${s.name}`);
    }
    surface[subpath] = out;
  }

  const root = `${resolve(dir)}${sep}`;
  const ownDeclaration = (symbol) =>
    (symbol.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(root));
  const leaks = new Set();
  const notes = new Set();
  for (const [symbol, where] of exported) {
    for (const declaration of symbol.declarations ?? []) {
      if (!declaration.getSourceFile().fileName.startsWith(root)) continue;
      const visit = (node) => {
        // A private member's type is not part of the surface (declarations keep only its name).
        if (
          (ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node)) &&
          (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Private || ts.isPrivateIdentifier(node.name))
        )
          return;
        // Type names only: a `typeof value` query names no type a user has to import (`typeof v3` does as well).
        let name;
        if (ts.isTypeReferenceNode(node)) name = node.typeName;
        else if (ts.isExpressionWithTypeArguments(node)) name = node.expression;
        if (ts.isTypeQueryNode(node)) return;
        if (name) {
          // `A.B`: reachable when `A` is.
          let first = name;
          while (ts.isQualifiedName(first) || ts.isPropertyAccessExpression(first))
            first = ts.isQualifiedName(first) ? first.left : first.expression;
          const target = resolveAlias(checker.getSymbolAtLocation(first));
          if (
            target &&
            !(target.flags & ts.SymbolFlags.TypeParameter) &&
            target !== symbol &&
            !exported.has(target) &&
            ownDeclaration(target) &&
            !isWithin(target, declaration)
          ) {
            const known = (KNOWN_LEAKS[pkg.name] ?? []).includes(target.name.replace(/\$\d+$/, ''));
            (known ? notes : leaks).add(
              `${pkg.name} ${where} refers to ${target.name}, which no entry of ${pkg.name} exports`,
            );
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(declaration);
    }
  }
  return { name: pkg.name, surface, leaks: [...leaks].sort(), knownLeaks: [...notes].sort() };
}

/** Whether `symbol` is declared inside `node` (a member, a parameter): reachable through it. */
function isWithin(symbol, node) {
  return (symbol.declarations ?? []).every((d) => {
    for (let p = d; p; p = p.parent) if (p === node) return true;
    return false;
  });
}

/** The published packages of the checkout at `root`: every workspace package that is not private. */
export function publishedPackageDirs(root) {
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
    join(root, 'apps', 'cli'),
  ];
  return dirs.filter((d) => {
    const file = join(d, 'package.json');
    return existsSync(file) && !JSON.parse(readFileSync(file, 'utf8')).private;
  });
}

/** The differences between a snapshot and the surfaces read now, one line each (empty: the same). */
export function compareSurfaces(snapshot, current) {
  const lines = [];
  for (const name of new Set([...Object.keys(snapshot), ...Object.keys(current)])) {
    const before = snapshot[name] ?? {};
    const now = current[name] ?? {};
    for (const entry of new Set([...Object.keys(before), ...Object.keys(now)])) {
      for (const kind of new Set([...Object.keys(before[entry] ?? {}), ...Object.keys(now[entry] ?? {})])) {
        const was = new Set(before[entry]?.[kind] ?? []);
        const is = new Set(now[entry]?.[kind] ?? []);
        const gone = [...was].filter((n) => !is.has(n));
        const added = [...is].filter((n) => !was.has(n));
        const at = `${name}${entry === '.' ? '' : entry.slice(1)} (${kind})`;
        if (gone.length) lines.push(`${at} no longer exports: ${gone.join(', ')}`);
        if (added.length) lines.push(`${at} now also exports: ${added.join(', ')}`);
      }
    }
  }
  return lines;
}

/**
 * Reads the surfaces of the packages in `dirs`, checks them against the snapshot (or rewrites it with `update`),
 * and returns the problems found, one line each.
 */
export async function checkSurfaces(dirs, { update = false, snapshotFile = SNAPSHOT, partial = false } = {}) {
  const problems = [];
  const current = {};
  for (const dir of dirs) {
    const { name, surface, leaks, knownLeaks } = await surfaceOf(dir);
    current[name] = surface;
    problems.push(...leaks);
    for (const note of knownLeaks) console.warn(`api-surface: known (KNOWN_LEAKS): ${note}`);
  }
  const recorded = existsSync(snapshotFile) ? JSON.parse(readFileSync(snapshotFile, 'utf8')) : {};
  if (update) {
    // `partial`: the packages read are only some of them; the others keep their record.
    const next = partial ? { ...recorded, ...current } : current;
    const sorted = Object.fromEntries(
      Object.keys(next)
        .sort()
        .map((name) => [name, next[name]]),
    );
    writeFileSync(snapshotFile, `${JSON.stringify(sorted, null, 2)}\n`);
    // In the repository's own layout (biome ci checks the file), so that a regenerated snapshot is lint-clean.
    const biome = fileURLToPath(new URL('../node_modules/@biomejs/biome/bin/biome', import.meta.url));
    if (existsSync(biome))
      execFileSync(process.execPath, [biome, 'format', '--write', snapshotFile], { stdio: 'ignore' });
  } else {
    const snapshot = partial
      ? Object.fromEntries(Object.keys(current).map((name) => [name, recorded[name] ?? {}]))
      : recorded;
    const changed = compareSurfaces(snapshot, current);
    if (changed.length > 0) {
      problems.push(
        ...changed,
        `(a deliberate change: \`npm run api-surface -- --update\` or \`npm run pack-test -- --update\` rewrites ${relative(process.cwd(), snapshotFile)})`,
      );
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const args = process.argv.slice(2);
  const update = args.includes('--update');
  const at = args.indexOf('--snapshot');
  const snapshotFile = at >= 0 ? resolve(args[at + 1]) : SNAPSHOT;
  const given = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--snapshot');
  const dirs = given.length > 0 ? given.map((d) => resolve(d)) : publishedPackageDirs(root);
  // Packages named on the command line are only those, unless --all says they are every published one.
  const partial = given.length > 0 && !args.includes('--all');
  const problems = await checkSurfaces(dirs, { update, snapshotFile, partial });
  if (problems.length > 0) {
    for (const line of problems) console.error(`api-surface: ${line}`);
    process.exitCode = 1;
  } else {
    console.log(
      update
        ? `api-surface: wrote ${snapshotFile}`
        : `api-surface: ${dirs.length} packages: every entry as recorded, no leaked type`,
    );
  }
}
