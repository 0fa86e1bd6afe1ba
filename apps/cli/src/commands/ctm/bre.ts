/**
 * Turns a POSIX basic regular expression (what ctm -e/-x take: regcomp without REG_EXTENDED) into a RegExp:
 * `\(` `\)` `\{` `\}` group and count, while `(` `)` `{` `}` `+` `?` `|` are plain characters; bracket
 * expressions keep POSIX's rule that a backslash inside them is literal.
 */
export function basicRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw new SyntaxError('trailing backslash (\\)');
      if ('(){}'.includes(next)) out += next;
      else if ('+?|'.includes(next))
        out += next; // GNU extensions
      else if (/[1-9]/.test(next)) out += `\\${next}`;
      else out += `\\${next}`;
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') {
        if (pattern[j] === '[' && /[:.=]/.test(pattern[j + 1] ?? '')) {
          const close = pattern.indexOf(`${pattern[j + 1]}]`, j + 2);
          if (close < 0) throw new SyntaxError('brackets ([ ]) not balanced');
          j = close + 2;
        } else j++;
      }
      if (j >= pattern.length) throw new SyntaxError('brackets ([ ]) not balanced');
      out += bracket(pattern.slice(i, j + 1));
      i = j;
    } else if (c === '*' && (out === '' || out === '^' || out.endsWith('(') || out.endsWith('|'))) {
      out += '\\*'; // a leading star is literal in a BRE
    } else if ('(){}+?|/'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return new RegExp(out);
}

const CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

function bracket(expr: string): string {
  let body = expr.slice(1, -1);
  let negate = '';
  if (body.startsWith('^')) {
    negate = '^';
    body = body.slice(1);
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '[' && body[i + 1] === ':') {
      const end = body.indexOf(':]', i + 2);
      const cls = CLASSES[body.slice(i + 2, end)];
      if (end < 0 || cls === undefined) throw new SyntaxError(`invalid character class ${body.slice(i)}`);
      out += cls;
      i = end + 1;
    } else if (c === '\\' || c === ']' || c === '[' || (c === '^' && i === 0)) out += `\\${c}`;
    else out += c;
  }
  return `[${negate}${out}]`;
}
