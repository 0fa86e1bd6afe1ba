import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatDiagnostic } from '@suite/mirror-scheduler';
import { packageFileToJobLines } from '@suite/mirror-scheduler/mm';
import { defineTool, type ToolContext } from '../../shared/define-tool.js';

const USAGE = `Usage: pkgs_to_mmin [-y ok-hours] [-n notok-hours] packagefile...
Prints an mm job line "FILE:package OK NOTOK" for each package of each mirror package file (defaults 8 8).
Typical use in an mm config: cmdin=pkgs_to_mmin packages/*
`;

function hours(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(`${flag} needs a number of hours, not ${value === undefined ? 'nothing' : `'${value}'`}`);
  }
  return n;
}

/** `pkgs_to_mmin`: mirror package files to mm job lines. */
export const { main } = defineTool({
  name: 'pkgs_to_mmin',
  help: USAGE,
  answers: 'options',
  run: pkgsToMmin,
});

async function pkgsToMmin(argv: readonly string[], tool: ToolContext): Promise<number> {
  let ok = 8;
  let notOk = 8;
  let i = 0;
  try {
    for (; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--help') return tool.help();
      if (arg === '--version') return tool.version();
      if (arg === '--') {
        i++;
        break;
      }
      if (arg === '-y' || arg === '-n') {
        const value = hours(arg, argv[++i]);
        if (arg === '-y') ok = value;
        else notOk = value;
      } else if (/^-[yn]./.test(arg)) {
        const value = hours(arg.slice(0, 2), arg.slice(2));
        if (arg[1] === 'y') ok = value;
        else notOk = value;
      } else if (arg.startsWith('-') && arg !== '-') throw new Error(`unknown option ${arg}`);
      else break;
    }
  } catch (error) {
    process.stderr.write(`pkgs_to_mmin: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const files = argv.slice(i);
  if (files.length === 0) {
    process.stderr.write(`pkgs_to_mmin: no package files given\n${USAGE}`);
    return 2;
  }
  let status = 0;
  let output = '';
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      process.stderr.write(
        `pkgs_to_mmin: cannot read ${file}: ${e.code === 'EISDIR' ? 'is a directory' : (e.code ?? e.message)}\n`,
      );
      status = 2;
      continue;
    }
    const { lines, diagnostics } = packageFileToJobLines(text, file, basename(file), ok, notOk);
    for (const d of diagnostics) process.stderr.write(`pkgs_to_mmin: ${formatDiagnostic(d)}\n`);
    for (const line of lines) output += `${line}\n`;
  }
  process.stdout.write(output);
  return status;
}
