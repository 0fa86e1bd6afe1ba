import { latin1Bytes as latin1, latin1String as latin1Text } from '@suite/internal';
import { concatBytes } from '../_bytes.js';
import { CtmError, CtmExit } from './errors.js';

/**
 * One step of an edit, in the numbering of the file before the edit (as `diff -n` writes them): delete `count`
 * lines starting at `line`, or add `text` (`count` lines) after `line`.
 */
export interface EditOp {
  readonly op: 'a' | 'd';
  readonly line: number;
  readonly count: number;
  /** The lines added, each ending in a newline (`a` only). */
  readonly text?: Uint8Array;
}

const NL = 0x0a;

/**
 * Parses a `diff -n` (RCS) script, the data of a CTMFN record: `aL N` + N lines, `dL N`.
 * @example
 * parseDiffN(new TextEncoder().encode('d2 1\na3 1\nnew\n')); // [{op:'d',line:2,count:1}, {op:'a',line:3,count:1,text}]
 */
export function parseDiffN(script: Uint8Array): EditOp[] {
  const ops: EditOp[] = [];
  let p = 0;
  const number = (): number => {
    const start = p;
    let n = 0;
    while (p < script.length && script[p]! >= 0x30 && script[p]! <= 0x39) n = n * 10 + (script[p++]! - 0x30);
    if (p === start) throw bad('a line number is missing');
    return n;
  };
  while (p < script.length) {
    const cmd = script[p++];
    if (cmd !== 0x61 && cmd !== 0x64)
      throw bad(`unknown command ${JSON.stringify(String.fromCharCode(cmd!))}`);
    const line = number();
    if (script[p++] !== 0x20) throw bad('a space is missing');
    const count = number();
    if (script[p++] !== NL) throw bad('a newline is missing');
    if (cmd === 0x64) {
      ops.push({ op: 'd', line, count });
      continue;
    }
    const start = p;
    for (let n = 0; n < count; n++) {
      const end = script.indexOf(NL, p);
      if (end < 0) throw bad('the added text is short');
      p = end + 1;
    }
    ops.push({ op: 'a', line, count, text: script.subarray(start, p) });
  }
  checkOrder(ops);
  return ops;
}

/**
 * Parses the `ed` script of a CTMFE record as `diff -e` writes them (`La`, `Li`, `L[,M]c`, `L[,M]d`, text ended by
 * a lone `.`, commands from the bottom of the file up) into the same steps as {@link parseDiffN}.
 */
export function parseEdScript(script: Uint8Array): EditOp[] {
  const text = latin1Text(script);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const hunks: EditOp[][] = [];
  for (let i = 0; i < lines.length; ) {
    const command = lines[i++]!;
    if (command === 'w' || command === 'q' || command === 'wq') continue;
    const m = /^(\d+)(?:,(\d+))?([acdi])$/.exec(command);
    if (!m) throw bad(`unsupported ed command ${JSON.stringify(command)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw bad(`backwards range ${JSON.stringify(command)}`);
    const cmd = m[3]!;
    let added: Uint8Array | undefined;
    let count = 0;
    if (cmd !== 'd') {
      const start = i;
      while (i < lines.length && lines[i] !== '.') i++;
      if (i >= lines.length) throw bad('text not ended by "."');
      count = i - start;
      added = latin1(
        lines
          .slice(start, i)
          .map((l) => `${l}\n`)
          .join(''),
      );
      i++;
    }
    const hunk: EditOp[] = [];
    if (cmd === 'd' || cmd === 'c') hunk.push({ op: 'd', line: from, count: to - from + 1 });
    if (cmd === 'a') hunk.push({ op: 'a', line: to, count, text: added! });
    if (cmd === 'i') hunk.push({ op: 'a', line: from - 1, count, text: added! });
    if (cmd === 'c' && count > 0) hunk.push({ op: 'a', line: to, count, text: added! });
    hunks.push(hunk);
  }
  const ops = hunks.reverse().flat();
  checkOrder(ops);
  return ops;
}

/**
 * Applies edit steps to a file's bytes: the one edit engine behind CTMFN and CTMFE.
 * @example
 * applyEdits(bytes('a\nb\nc\n'), parseDiffN(bytes('d2 1\n'))); // 'a\nc\n'
 */
export function applyEdits(input: Uint8Array, ops: readonly EditOp[]): Uint8Array {
  const out: Uint8Array[] = [];
  let pos = 0; // byte offset of line `iln`
  let iln = 1;
  const copyThrough = (last: number): void => {
    const start = pos;
    while (iln <= last) {
      const end = input.indexOf(NL, pos);
      if (end < 0) throw bad(`the file has fewer than ${last} lines`);
      pos = end + 1;
      iln++;
    }
    if (pos > start) out.push(input.subarray(start, pos));
  };
  for (const op of ops) {
    if (op.op === 'd') {
      if (op.line < iln) throw bad(`delete at line ${op.line} is out of order`);
      copyThrough(op.line - 1);
      for (let n = 0; n < op.count; n++) {
        const end = input.indexOf(NL, pos);
        if (end < 0) throw bad(`the file has fewer than ${op.line + op.count - 1} lines`);
        pos = end + 1;
        iln++;
      }
    } else {
      if (op.line < iln - 1) throw bad(`add after line ${op.line} is out of order`);
      copyThrough(op.line);
      if (op.text && op.text.length > 0) out.push(op.text);
    }
  }
  if (pos < input.length) out.push(input.subarray(pos));
  return concatBytes(out);
}

/** Applies the data of a CTMFN (`diff -n`) or CTMFE (`ed`) record to a file's bytes. */
export function applyEditScript(key: 'FN' | 'FE', input: Uint8Array, script: Uint8Array): Uint8Array {
  return applyEdits(input, key === 'FN' ? parseDiffN(script) : parseEdScript(script));
}

function checkOrder(ops: readonly EditOp[]): void {
  let next = 1; // the first line a step may still touch
  for (const op of ops) {
    if (op.op === 'd') {
      if (op.line < next) throw bad(`step d${op.line} ${op.count} is out of order`);
      next = op.line + op.count;
    } else {
      if (op.line < next - 1) throw bad(`step a${op.line} ${op.count} is out of order`);
      next = op.line + 1;
    }
  }
}

function bad(why: string): CtmError {
  return new CtmError('EEDIT', `edit script does not apply: ${why}`, CtmExit.Mess);
}
