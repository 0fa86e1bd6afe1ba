// The code examples of the READMEs, extracted so that the packaging test can run them against the packed packages.
//
// Rules, in the Markdown source:
// - ```ts and ```js blocks are run, as written, each in a fresh scratch directory: absolute paths in strings under
//   /srv /var /tmp /run /ctm /shared are moved under that directory (their parent directories made), so the
//   examples touch nothing of the machine. TypeScript is stripped (and `await using` lowered) by esbuild.
// - An HTML comment `<!-- example-given: CODE -->` right before a block is run first: what the reader's own program
//   would have (a function the example calls, the input file it reads). Keep it short.
// - A block whose info string says `norun` (```sh norun, ```ts norun) is explicitly not run: shell sessions,
//   configuration, type signatures. A ```sh block must say so; other languages are data and never run.
import { readFileSync } from 'node:fs';

const RUN = new Set(['ts', 'js', 'mjs', 'typescript', 'javascript']);
const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * The fenced blocks of one Markdown file: `{ file, line, lang, run, code, given }`; `problem` is set for a shell
 * block that is not marked `norun`.
 */
export function extractExamples(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const lang = open[1].toLowerCase();
    const norun = /\bnorun\b/.test(open[2]);
    const givenMatch = i > 0 ? /^<!-- example-given: ([\s\S]*) -->$/.exec(lines[i - 1]) : null;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const code = lines.slice(i + 1, end).join('\n');
    blocks.push({
      file,
      line: i + 1,
      lang,
      run: RUN.has(lang) && !norun,
      code,
      given: givenMatch ? givenMatch[1] : '',
      problem:
        SHELL.has(lang) && !norun
          ? 'a shell block must be marked `norun` (```sh norun) or be made runnable'
          : '',
    });
    i = end;
  }
  return blocks;
}

/** Moves absolute example paths under `sandbox`; returns the new source and the directories to make. */
export function sandboxPaths(code, sandbox) {
  const dirs = new Set();
  const out = code.replace(/(['"`])\/(srv|var|tmp|run|ctm|shared)\//g, (_m, quote, top) => {
    dirs.add(top);
    return `${quote}${sandbox}/${top}/`;
  });
  return { code: out, dirs: [...dirs] };
}
