import { describe, expect, it } from 'vitest';
import { parseMmArgs } from '../src/commands/mm/args.js';
import { parseListen } from '../src/commands/mm/serve.js';

describe('mm --status --html [FILE]', () => {
  it('takes FILE when attached or when the next argument names an HTML file (or -)', () => {
    expect(parseMmArgs(['--status', '--html=out/page', 'mm.conf'])).toMatchObject({
      html: 'out/page',
      files: ['mm.conf'],
    });
    expect(parseMmArgs(['--status', '--html', 'status.html', 'mm.conf'])).toMatchObject({
      html: 'status.html',
      files: ['mm.conf'],
    });
    expect(parseMmArgs(['--status', '--html', 'INDEX.HTM'])).toMatchObject({ html: 'INDEX.HTM', files: [] });
  });

  it('writes to standard output when no FILE follows, leaving the config file a config file', () => {
    expect(parseMmArgs(['--status', '--html', 'mm.conf'])).toMatchObject({ html: '-', files: ['mm.conf'] });
    expect(parseMmArgs(['--status', '--html'])).toMatchObject({ html: '-', files: [] });
    expect(parseMmArgs(['--status', 'mm.conf'])).toMatchObject({ html: undefined });
  });
});

describe('mm serve --listen', () => {
  it('reads HOST:PORT, [IPv6]:PORT, :PORT and PORT (loopback by default)', () => {
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('[::1]:9784')).toEqual({ host: '::1', port: 9784 });
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('refuses what is not an address, naming it', () => {
    for (const bad of ['localhost', '1.2.3.4:99999', 'a:b:c', ''])
      expect(() => parseListen(bad)).toThrow(`--listen ${bad}: not HOST:PORT`);
  });
});
