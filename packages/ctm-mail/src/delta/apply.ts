import { applyEditScript } from './edit.js';
import { CtmError, CtmExit } from './errors.js';
import { type Md5Factory, md5Hex, portableMd5 } from './md5.js';
import { parentsOf } from './name.js';
import { type DeltaSource, readDelta } from './parser.js';
import {
  type DeltaHeader,
  type DeltaRecord,
  type FileChange,
  type FileMake,
  JOURNAL_FILE,
  STATUS_FILE,
} from './record.js';
import { readCtmStatus } from './status-file.js';
import type { DeltaTree, EntryType } from './tree.js';

/**
 * An include (`-e`) or exclude (`-x`) pattern. The last pattern that matches a name decides; with patterns, a name
 * no pattern matches gets the opposite of what the first pattern does.
 */
export interface DeltaFilter {
  readonly include: boolean;
  readonly pattern: { test(name: string): boolean };
}

/** Options of {@link applyDelta}; the ctm(1) letter is given for each. */
export interface ApplyOptions {
  /** `-c`: run the checks only, change nothing. @default false */
  readonly check?: boolean;
  /** `-F`: apply even where the tree is off in a way ctm calls forcible. @default false */
  readonly force?: boolean;
  /** `-k`: keep files and directories the delta removes. @default false */
  readonly keep?: boolean;
  /** `-l`: list the records (to `output`) and do nothing else. @default false */
  readonly list?: boolean;
  /** `-u`: set the modification time of what is made or changed to the delta's date. @default false */
  readonly setTimes?: boolean;
  /** `-v`/`-q`: how much to report; 0 reports only problems. @default 1 */
  readonly verbose?: number;
  /** `-e`/`-x` patterns, in command-line order. Using any disables the `.ctm_status` number check. */
  readonly filters?: readonly DeltaFilter[];
  /** The number of the last delta applied; read from `.ctm_status` when not given. */
  readonly applied?: number;
  /** `-B`: called with the names about to be changed or removed, after the checks and before any change. */
  readonly backup?: (names: readonly string[]) => Promise<void> | void;
  /** Receives progress and problem lines (ctm(1) writes them to stderr). */
  readonly report?: (line: string) => void;
  /** Receives the `-l` listing (ctm(1) writes it to stdout). */
  readonly output?: (line: string) => void;
  /**
   * Pass 3 may keep this many file records in flight at once when the tree answers asynchronously (DM and DR wait
   * for all before them, `.ctm_status` for everything). @default 1
   */
  readonly concurrency?: number;
  /** What the delta is called in messages. @default 'delta' */
  readonly label?: string;
  /** The MD5 to use. @default portableMd5 */
  readonly md5?: Md5Factory;
}

/** How an {@link applyDelta} call ended. */
export type ApplyOutcome =
  | 'applied'
  | 'already-applied'
  | 'checked'
  | 'listed'
  | 'no-match'
  | 'refused'
  | 'failed';

/** The result of {@link applyDelta}. */
export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  /** ctm(1)'s exit status bits for this delta (see {@link CtmExit}); 0 when all is well. */
  readonly status: number;
  /** The delta's header, once read. */
  readonly header?: DeltaHeader;
  /** Records carried out. */
  readonly changed: number;
  /** Records skipped because the tree already had their result. */
  readonly skipped: number;
}

type Shadow = { type: 'file'; md5: string } | { type: 'dir'; fresh: boolean } | { type: 'absent' };
interface Seen {
  readonly type: EntryType | 'absent';
  readonly shadow?: Shadow;
}

/**
 * Applies a ctm(5) delta to a tree in ctm(1)'s passes: (1) syntax, names and every MD5 of the delta; (2) the tree is
 * as the delta expects (before-MD5s, new names absent, file types, no symlink on the way); (3) apply. Nothing
 * changes unless passes 1 and 2 succeed. A delta whose number is not above `.ctm_status`'s is skipped as already
 * applied, records whose result the tree already has are skipped, and a journal lets a rerun after a crash finish
 * the job. `.ctm_status` is written last.
 * @example
 * const result = await applyDelta(() => [deltaBytes], tree, { report: console.error });
 * if (result.status !== 0) process.exitCode = result.status;
 */
export async function applyDelta(
  source: DeltaSource,
  tree: DeltaTree,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const run = new Run(source, tree, options);
  try {
    return await run.go();
  } catch (error) {
    let status: number;
    if (error instanceof CtmError) {
      run.say(0, `${run.label} Fatal error: ${error.message}`);
      status = error.status;
    } else {
      // The tree failed under us (permissions, disk full): before pass 3 nothing changed; after, a rerun finishes.
      // Out of resources (a full disk) is ctm.h's Exit_Broke wherever it happens: worth a retry once there is room.
      run.say(0, `${run.label}: ${error instanceof Error ? error.message : String(error)}`);
      status = !run.started || isOutOfResources(error) ? CtmExit.Broke : CtmExit.Mess;
    }
    return {
      outcome: run.started ? 'failed' : 'refused',
      status,
      changed: run.changed,
      skipped: 0,
      ...(run.header && { header: run.header }),
    };
  }
}

class Run {
  readonly label: string;
  readonly #md5: Md5Factory;
  readonly #verbose: number;
  header: DeltaHeader | undefined;
  started = false;
  changed = 0;

  constructor(
    readonly source: DeltaSource,
    readonly tree: DeltaTree,
    readonly options: ApplyOptions,
  ) {
    this.label = options.label ?? 'delta';
    this.#md5 = options.md5 ?? portableMd5;
    this.#verbose = options.verbose ?? 1;
  }

  say(level: number, line: string): void {
    if (this.#verbose >= level) this.options.report?.(line);
  }

  /** Whether the filters (and, unless told otherwise, -k) let this record through. */
  matches(record: DeltaRecord, ignoreKeep = false): boolean {
    if (!ignoreKeep && this.options.keep && (record.key === 'FR' || record.key === 'DR')) return false;
    const filters = this.options.filters ?? [];
    let match = filters.length > 0 ? !filters[0]!.include : true;
    for (const f of filters) if (f.pattern.test(record.name)) match = f.include;
    return match;
  }

  async go(): Promise<ApplyResult> {
    const o = this.options;
    const done = (outcome: ApplyOutcome, status = 0, skipped = 0): ApplyResult => ({
      outcome,
      status,
      changed: this.changed,
      skipped,
      ...(this.header && { header: this.header }),
    });

    // Pass 1: the delta itself.
    let matched = 0;
    let deltaMd5 = '';
    const filtered = (o.filters?.length ?? 0) > 0;
    const applied = o.list ? 0 : (o.applied ?? (await readCtmStatus(this.tree))?.number ?? 0);
    for await (const item of readDelta(this.source(), {
      md5: this.#md5,
      allowTrailingJunk: o.force ?? false,
      streamAbove: STREAM_ABOVE,
    })) {
      if (item.kind === 'header') {
        this.header = item.header;
        const current = Number(item.header.number);
        if (!filtered && !o.list && current > 0 && current <= applied) {
          this.say(1, `Delta number ${current} is already applied; ignoring.`);
          await this.#clearJournalOf(item.header);
          return done('already-applied');
        }
      } else if (item.kind === 'record') {
        if (item.record.name === STATUS_FILE && 'stream' in item.record && item.record.stream) {
          throw new CtmError('ECORRUPT', `${STATUS_FILE} is too big.`, CtmExit.Mess);
        }
        if (!this.matches(item.record)) continue;
        matched++;
        if (o.list) o.output?.(`> ${item.record.key} ${item.record.name}`);
      } else deltaMd5 = item.md5;
    }
    if (matched === 0) {
      this.say(2, `No matches in "${this.label}"`);
      return done('no-match');
    }
    if (o.list) return done('listed');
    const header = this.header!;

    // Pass 2: the tree.
    const journal = `${header.name} ${header.number} ${deltaMd5}\n`;
    const resuming = await this.#journalSays(journal);
    if (resuming) this.say(1, `Resuming the interrupted apply of ${header.name} ${header.number}.`);
    const plan = await this.#check(resuming);
    const forcibleOnly = (plan.status & ~CtmExit.Forcible) === 0;
    if (plan.status !== 0 && !(o.force && forcibleOnly)) return done('refused', plan.status);
    if (o.check) {
      this.say(1, 'All checks out ok.');
      return done('checked', 0, plan.skip.size);
    }
    if (o.backup) {
      const names: string[] = [];
      for (const [index, name] of plan.backup) if (!plan.skip.has(index)) names.push(name);
      await o.backup(names);
    }

    // Pass 3: apply. The journal goes first, `.ctm_status` last.
    this.started = true;
    await this.tree.writeFile(JOURNAL_FILE, new TextEncoder().encode(journal), 0o644);
    const time = o.setTimes ? deltaTime(header.timestamp) : undefined;
    let status: DeltaRecord | undefined;
    const limit = Math.max(1, o.concurrency ?? 1);
    const inflight = new Map<string, Promise<void>>();
    let failure: { error: unknown } | undefined;
    const settle = async () => {
      await Promise.all(inflight.values());
      if (failure) throw failure.error;
    };
    for await (const item of readDelta(this.source(), {
      md5: this.#md5,
      allowTrailingJunk: o.force ?? false,
      streamAbove: STREAM_ABOVE,
    })) {
      if (item.kind !== 'record' || plan.skip.has(item.index)) continue;
      const r = item.record;
      if (!this.matches(r, true)) continue; // -k removals still show, as "not removed"
      if (r.name === STATUS_FILE) {
        status = r;
        continue;
      }
      // Directories change the shape of the tree: everything before them first, and they before anything after.
      // A streamed file's data must be read before the delta's next record is: it goes alone, too.
      const structural = r.key === 'DM' || r.key === 'DR' || ('stream' in r && r.stream !== undefined);
      if (structural || inflight.has(r.name)) await settle();
      else if (inflight.size >= limit) await Promise.race(inflight.values());
      if (failure) break;
      const name = r.name;
      const job = this.#apply(r, time, plan.prepared.get(item.index)).then(
        () => {
          inflight.delete(name);
        },
        (error: unknown) => {
          inflight.delete(name);
          failure ??= { error };
        },
      );
      inflight.set(name, job);
      if (structural) await settle();
    }
    await settle();
    if (status) await this.#apply(status, time, undefined);
    await this.tree.remove(JOURNAL_FILE);
    this.say(1, 'All done ok');
    return done('applied', 0, plan.skip.size);
  }

  async #journalSays(journal: string): Promise<boolean> {
    const entry = await this.tree.lstat(JOURNAL_FILE);
    if (entry?.type !== 'file') return false;
    const text = new TextDecoder().decode(await this.tree.readFile(JOURNAL_FILE));
    if (text === journal) return true;
    this.say(0, `warning: ${JOURNAL_FILE} says an apply of "${text.trim()}" was interrupted`);
    return false;
  }

  async #clearJournalOf(header: DeltaHeader): Promise<void> {
    const entry = await this.tree.lstat(JOURNAL_FILE);
    if (entry?.type !== 'file') return;
    const text = new TextDecoder().decode(await this.tree.readFile(JOURNAL_FILE));
    if (text.startsWith(`${header.name} ${header.number} `)) await this.tree.remove(JOURNAL_FILE);
  }

  async #check(resuming: boolean) {
    const o = this.options;
    const shadows = new Map<string, Shadow>();
    const real = new Map<string, EntryType | 'absent'>();
    const skip = new Set<number>();
    const backup = new Map<number, string>();
    let status = 0;
    const problem = (bits: number, line: string) => {
      status |= bits;
      this.say(0, line);
    };
    const realType = async (name: string): Promise<EntryType | 'absent'> => {
      let t = real.get(name);
      if (t === undefined) {
        t = (await this.tree.lstat(name))?.type ?? 'absent';
        real.set(name, t);
      }
      return t;
    };
    const look = async (name: string): Promise<Seen> => {
      const own = shadows.get(name);
      if (own) return { type: own.type, shadow: own };
      const ups = parentsOf(name);
      for (let i = ups.length - 1; i >= 0; i--) {
        const up = shadows.get(ups[i]!);
        if (!up) continue;
        if (up.type !== 'dir' || up.fresh) return { type: 'absent' };
        break;
      }
      return { type: await realType(name) };
    };
    const prepared = { bytes: 0, edits: new Map<number, Uint8Array>() };
    const currentMd5 = async (name: string, seen: Seen): Promise<string> =>
      seen.shadow?.type === 'file' ? seen.shadow.md5 : md5Hex(await this.tree.readFile(name), this.#md5);

    for await (const item of readDelta(this.source(), {
      md5: this.#md5,
      allowTrailingJunk: o.force ?? false,
      streamAbove: STREAM_ABOVE,
    })) {
      if (item.kind !== 'record') continue;
      const r = item.record;
      if (!this.matches(r)) continue;
      const tag = `  ${r.key}: ${r.name}`;

      // Nothing on the way to a name may be a symlink or a file.
      let blocked = false;
      for (const up of parentsOf(r.name)) {
        const seen = await look(up);
        if (seen.type === 'symlink') {
          problem(CtmExit.Mess, `${tag}: refused: ${up} is a symlink.`);
          blocked = true;
          break;
        }
        if (seen.type !== 'dir' && seen.type !== 'absent') {
          problem(CtmExit.NotOK, `${tag}: ${up} exists, but isn't dir.`);
          blocked = true;
          break;
        }
      }
      if (blocked) continue;
      const seen = await look(r.name);
      const t = seen.type;
      switch (r.key) {
        case 'FM':
          if (t === 'absent') break;
          if (t === 'file' && (await currentMd5(r.name, seen)) === r.md5After) {
            this.say(1, `${tag} already applied.`);
            skip.add(item.index);
          } else if (t === 'file') problem(CtmExit.Forcible, `${tag} exists.`);
          else problem(CtmExit.NotOK, `${tag} exists, but isn't file.`);
          break;
        case 'FS':
        case 'FN':
        case 'FE': {
          if (t === 'absent') {
            problem(CtmExit.NotOK, `${tag} doesn't exist.`);
            break;
          }
          if (t !== 'file') {
            problem(CtmExit.NotOK, `${tag} exist, but isn't file.`);
            break;
          }
          backup.set(item.index, r.name);
          const current = seen.shadow ? undefined : await this.tree.readFile(r.name);
          const md5 = current ? md5Hex(current, this.#md5) : await currentMd5(r.name, seen);
          if (md5 === r.md5Before) {
            if (r.key !== 'FS' && current) {
              let edited: Uint8Array;
              try {
                edited = applyEditScript(r.key, current, r.data);
              } catch (error) {
                if (!(error instanceof CtmError)) throw error;
                problem(CtmExit.Mess, `${tag} ${error.message}`);
                break;
              }
              if (md5Hex(edited, this.#md5) !== r.md5After) problem(CtmExit.Mess, `${tag} edit fails.`);
              else if (prepared.bytes + edited.length <= PREPARED_BUDGET) {
                // Pass 3 writes this result instead of reading and editing the file again.
                prepared.bytes += edited.length;
                prepared.edits.set(item.index, edited);
              }
            }
          } else if (md5 === r.md5After) {
            this.say(1, `${tag} md5 mismatch.`);
            this.say(1, `${tag} already applied.`);
            skip.add(item.index);
          } else if (r.key === 'FS') {
            problem(CtmExit.Forcible, `${tag} md5 mismatch.`);
            this.say(0, o.force ? '  Can and will force.' : '  Could have forced.');
          } else problem(CtmExit.NotOK, `${tag} md5 mismatch.`);
          break;
        }
        case 'FR':
          if (t === 'absent') {
            if (resuming) skip.add(item.index);
            else {
              problem(CtmExit.Forcible, `${tag} doesn't exist.`);
              skip.add(item.index);
            }
          } else if (t !== 'file') problem(CtmExit.NotOK, `${tag} exist, but isn't file.`);
          else if ((await currentMd5(r.name, seen)) !== r.md5Before)
            problem(CtmExit.NotOK, `${tag} md5 mismatch.`);
          else backup.set(item.index, r.name);
          break;
        case 'AS':
          if (t === 'absent') problem(CtmExit.NotOK, `${tag} doesn't exist.`);
          // Modes and times are set on the name itself, never on what a symlink points to.
          else if (t === 'symlink') problem(CtmExit.Mess, `${tag}: refused: ${r.name} is a symlink.`);
          else backup.set(item.index, r.name);
          break;
        case 'DM':
          if (t === 'absent') break;
          if (t !== 'dir') problem(CtmExit.NotOK, `${tag} exists, but isn't dir.`);
          else if (!resuming) problem(CtmExit.Forcible, `${tag} exists.`);
          skip.add(item.index);
          break;
        case 'DR':
          if (t === 'absent') {
            if (!resuming) problem(CtmExit.Forcible, `${tag} doesn't exist.`);
            skip.add(item.index);
          } else if (t !== 'dir') problem(CtmExit.NotOK, `${tag} exist, but isn't dir.`);
          else backup.set(item.index, r.name);
          break;
      }
      // What the tree looks like once this record is done.
      if (r.key === 'FM' || r.key === 'FS' || r.key === 'FN' || r.key === 'FE') {
        shadows.set(r.name, { type: 'file', md5: r.md5After });
      } else if (r.key === 'FR') shadows.set(r.name, { type: 'absent' });
      else if (r.key === 'DM') shadows.set(r.name, { type: 'dir', fresh: t === 'absent' });
      else if (r.key === 'DR') {
        for (const key of shadows.keys()) if (key.startsWith(`${r.name}/`)) shadows.delete(key);
        shadows.set(r.name, { type: 'absent' });
      }
    }
    return { status, skip, backup, prepared: prepared.edits };
  }

  async #apply(r: DeltaRecord, time: Date | undefined, prepared: Uint8Array | undefined): Promise<void> {
    const o = this.options;
    this.say(1, `> ${r.key} ${r.name}`);
    const tree = this.tree;
    switch (r.key) {
      case 'FM':
      case 'FS':
        await tree.writeFile(r.name, r.stream ? this.#verified(r) : r.data, fileMode(r.mode));
        break;
      case 'FN':
      case 'FE': {
        const edited = prepared ?? applyEditScript(r.key, await tree.readFile(r.name), r.data);
        if (!prepared && md5Hex(edited, this.#md5) !== r.md5After) {
          throw new CtmError('EEDIT', `${r.key} ${r.name} Edit failed MD5 check.`, CtmExit.Mess);
        }
        await tree.writeFile(r.name, edited, fileMode(r.mode));
        break;
      }
      case 'FR':
      case 'DR':
        if (o.keep) {
          this.say(2, `<${r.name}> not removed`);
          return;
        }
        if (r.key === 'FR') await tree.remove(r.name);
        else await tree.removeDir(r.name);
        break;
      case 'DM':
        await tree.makeDir(r.name);
        break;
      case 'AS':
        await tree.setMode(r.name, fileMode(r.mode));
        break;
    }
    this.changed++;
    if (time && r.key !== 'FR' && r.key !== 'DR') await tree.setTime(r.name, time);
  }

  /**
   * A streamed FM/FS block, hashed as it goes to the tree: a wrong MD5 throws before the tree renames the
   * temporary file into place, as ctm(1) checks "MD5 didn't come out right".
   */
  async *#verified(r: FileMake | FileChange): AsyncGenerator<Uint8Array, void, undefined> {
    const hash = this.#md5();
    for await (const chunk of r.stream!.chunks()) {
      hash.update(chunk);
      yield chunk;
    }
    if (hash.hex() !== r.md5After) {
      throw new CtmError('EMD5', `${r.key} ${r.name} MD5 didn't come out right`, CtmExit.Mess);
    }
  }
}

/** FM and FS blocks above this size stream from the delta to the file instead of being held (1 MiB). */
const STREAM_ABOVE = 1024 * 1024;

/** The errors of a full disk or of too little memory or descriptors, by their POSIX names. */
const OUT_OF_RESOURCES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'ENOMEM', 'EMFILE', 'ENFILE']);

function isOutOfResources(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && OUT_OF_RESOURCES.has(code);
}

/**
 * How many bytes of edited files pass 2 keeps for pass 3. Like ctm(1), the engine assumes nobody else changes the
 * tree while it applies a delta.
 */
const PREPARED_BUDGET = 64 * 1024 * 1024;

/** Permission bits only: a delta from mail never sets setuid, setgid or sticky bits. */
function fileMode(octal: string): number {
  return Number.parseInt(octal, 8) & 0o777;
}

/** `YYYYMMDDHHMMSSZ` as a Date (UTC), or a Mess error as ctm -u gives. */
export function deltaTime(stamp: string): Date {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(stamp);
  const bad = () => new CtmError('ECORRUPT', `${stamp} failed date validation`, CtmExit.Mess);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 61) throw bad();
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}
