import { latin1Bytes, latin1String } from '@suite/internal';

const NL = 0x0a;

/** Splits bytes that end in a newline (or are empty) into lines, each keeping its newline, as latin1 strings. */
function lines(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(NL, start) + 1;
    out.push(latin1String(bytes, start, end));
    start = end;
  }
  return out;
}

/**
 * A `diff -n` (RCS) script that turns `before` into `after`, as the data of a CTMFN record; `undefined` when an
 * edit does not suit (a file does not end in a newline, holds a NUL byte, or the difference is larger than
 * `maxChanges` lines), and the file should be sent whole. Myers' O(ND) algorithm on lines.
 * @example
 * diffN(bytes('a\nb\nc\n'), bytes('a\nc\nd\n')); // 'd2 1\na3 1\nd\n'
 */
export function diffN(before: Uint8Array, after: Uint8Array, maxChanges = 2000): Uint8Array | undefined {
  for (const f of [before, after]) {
    if (f.length > 0 && f[f.length - 1] !== NL) return undefined;
    if (f.includes(0)) return undefined;
  }
  const ids = new Map<string, number>();
  const intern = (l: string): number => {
    let id = ids.get(l);
    if (id === undefined) {
      id = ids.size;
      ids.set(l, id);
    }
    return id;
  };
  const aLines = lines(before);
  const bLines = lines(after);
  const aAll = Int32Array.from(aLines, intern);
  const bAll = Int32Array.from(bLines, intern);
  let pre = 0;
  while (pre < aAll.length && pre < bAll.length && aAll[pre] === bAll[pre]) pre++;
  let suf = 0;
  while (
    suf < aAll.length - pre &&
    suf < bAll.length - pre &&
    aAll[aAll.length - 1 - suf] === bAll[bAll.length - 1 - suf]
  )
    suf++;
  const a = aAll.subarray(pre, aAll.length - suf);
  const b = bAll.subarray(pre, bAll.length - suf);
  const path = myers(a, b, maxChanges);
  if (!path) return undefined;

  // Group single-line steps into hunks: delete a run of old lines, add new lines after them.
  let script = '';
  let i = 0;
  while (i < path.length) {
    const start = path[i]!.x;
    let end = start;
    const added: number[] = [];
    while (i < path.length) {
      const step = path[i]!;
      if (step.x !== end) break;
      if (step.del) end++;
      else added.push(step.y);
      i++;
    }
    if (end > start) script += `d${start + pre + 1} ${end - start}\n`;
    if (added.length > 0) {
      script += `a${end + pre} ${added.length}\n`;
      for (const y of added) script += bLines[y + pre];
    }
  }
  return latin1Bytes(script);
}

interface Step {
  /** Deletes old line `x` (0-based), or inserts new line `y` before old line `x`. */
  readonly del: boolean;
  readonly x: number;
  readonly y: number;
}

function myers(a: Int32Array, b: Int32Array, maxD: number): Step[] | undefined {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, maxD);
  const off = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.push(v.slice(off - d, off + d + 1));
  }
  if (found < 0) return undefined;
  const steps: Step[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number) => prev[k + d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    steps.push(down ? { del: false, x: px, y: py } : { del: true, x: px, y: py });
    x = px;
    y = py;
  }
  return steps.reverse();
}
