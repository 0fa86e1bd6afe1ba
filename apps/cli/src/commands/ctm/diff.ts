import { CtmError, type DeltaRecord, writeDeltaFile } from '@suite/ctm-mail/delta/node';

const USAGE =
  'usage: ctm diff [-q] [-d YYYYMMDDHHMMSSZ] [-I ignore-regex] [-P prefix] [-o delta.gz] old-dir new-dir name number';

/**
 * `ctm diff OLD NEW NAME NUMBER [-o DELTA]`: writes a gzip ctm(5) delta that turns tree OLD into tree NEW and sets
 * `.ctm_status` to `NAME NUMBER` (mkctm's job, which FreeBSD never shipped for other systems). Exit 0; 4 when the
 * trees are the same (as mkctm); 2 for a usage error; 1 when a tree cannot be read or the delta not written.
 */
export async function diffMain(argv: readonly string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`ctm diff: ${line}\n`);
  const operands: string[] = [];
  let out: string | undefined;
  let date = new Date();
  let prefix = '.';
  let ignore: RegExp | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Usage(`option ${arg} requires an argument`);
      return v;
    };
    try {
      if (arg === '-o') out = value();
      else if (arg === '-P') prefix = value();
      else if (arg === '-q') quiet = true;
      else if (arg === '-I')
        ignore = new RegExp(Buffer.from(value()).toString('latin1')); // names are byte strings
      else if (arg === '-d') {
        const v = value();
        const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(v);
        if (!m) throw new Usage(`-d wants YYYYMMDDHHMMSSZ, not "${v}"`);
        date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
        if (Number.isNaN(date.getTime())) throw new Usage(`-d ${v} is not a date`);
      } else if (arg === '-h' || arg === '--help') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      } else if (arg.startsWith('-') && arg !== '-') throw new Usage(`unknown option ${arg}`);
      else operands.push(arg);
    } catch (error) {
      if (!(error instanceof Usage)) throw error;
      err(error.message);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
  }
  const [before, after, name, number] = operands;
  if (operands.length !== 4 || !before || !after || !name || !number) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!/^[^\s/]+$/.test(name)) {
    err(`the name "${name}" must be one word without "/"`);
    return 2;
  }
  if (!/^\d+$/.test(number)) {
    err(`the number "${number}" must be a decimal number`);
    return 2;
  }
  const target = out ?? `${name}.${number.padStart(4, '0')}.gz`;
  const counts = new Map<string, number>();
  const onRecord = (r: DeltaRecord) => counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
  try {
    await writeDeltaFile(before, after, target, {
      name,
      number: Number(number),
      date,
      prefix,
      ...(ignore && { ignore: (n: string) => ignore.test(n) }),
      warn: (line) => err(line),
      onRecord,
    });
  } catch (error) {
    if (error instanceof CtmError && error.code === 'ENOCHANGE') {
      err('no changes');
      return 4;
    }
    err(error instanceof Error ? error.message : String(error));
    return 1;
  }
  if (!quiet) {
    const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
    process.stderr.write(`ctm diff: wrote ${target}: ${summary}\n`);
  }
  return 0;
}

class Usage extends Error {}
