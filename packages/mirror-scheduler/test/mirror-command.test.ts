import { describe, expect, it } from 'vitest';
import { parseJobName } from '../src/index.js';
import { DEFAULT_MIRROR_COMMAND, mirrorCommand } from '../src/mm/index.js';

describe('mirrorCommand', () => {
  it('turns the default command into references the shell fills in, never the names themselves', () => {
    const cmd = mirrorCommand(DEFAULT_MIRROR_COMMAND, parseJobName("x;touch>F:it's $(id)"), ['-v']);
    expect(cmd.script).toBe(
      `exec ./mirror "$@" -p''"$MM_PACKAGE"'' packages/"$MM_SITE" > logs/"$MM_SITE":"$MM_PKG" 2>&1`,
    );
    expect(cmd.script).not.toContain('touch');
    expect(cmd.env).toEqual({ MM_SITE: 'x;touch>F', MM_PACKAGE: "it's $(id)", MM_PKG: 'it_s_$(id)' });
    expect(cmd.args).toEqual(['-v']);
  });

  it('quotes to suit the context: bare, inside double quotes, inside single quotes; braces too', () => {
    const name = parseJobName('s:p');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell template, not a JS one
    const template = 'a $site "b $site $args" \'c $site\' ${pkg}';
    expect(mirrorCommand(template, name, []).script).toBe(
      `a "$MM_SITE" "b $MM_SITE $*" 'c '"$MM_SITE"'' "$MM_PKG"`,
    );
  });

  it('leaves escaped and other $ references alone', () => {
    const name = parseJobName('s:p');
    expect(mirrorCommand('echo \\$site $sites $HOME', name, []).script).toBe('echo \\$site $sites $HOME');
  });

  it("pastes a job line's arguments in as shell text before the extra flags, and still turns $site in them into a variable, as mm.pl substitutes $args first", () => {
    const cmd = mirrorCommand(
      './mirror $args -p"$package"',
      parseJobName('a;b:p'),
      ['-n'],
      `-k'x=a b' -s$site $HOME`,
    );
    expect(cmd.script).toBe(`./mirror -k'x=a b' -s"$MM_SITE" $HOME "$@" -p"$MM_PACKAGE"`);
    expect(cmd.args).toEqual(['-n']);
  });
});
