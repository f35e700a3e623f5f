import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mdCode, mdText } from '../src/report/escape.js';
import { shellWords } from '../src/report/shell-words.js';

describe('Markdown from names and reasons written by others', () => {
  it('plain text: table pipes, code ticks, emphasis and tags lose their meaning', () => {
    expect(mdText('a|b')).toBe('a\\|b');
    expect(mdText('`x` *y* _z_')).toBe('\\`x\\` \\*y\\* \\_z\\_');
    expect(mdText('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mdText('two\nlines')).toBe('two lines');
    expect(mdText('[link](http://x)')).toBe('\\[link\\](http://x)');
  });

  it('a code span holds any backticks and never splits a table row', () => {
    expect(mdCode('plain')).toBe('`plain`');
    expect(mdCode('a `b` c')).toBe('``a `b` c``');
    expect(mdCode('``x')).toBe('``` ``x ```');
    expect(mdCode('a|b')).toBe('`a\\|b`');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const code = mdCode(s);
        const fence = /^`+/.exec(code)![0];
        // The fence is longer than any run of backticks inside, so nothing closes the span early.
        const inner = code.slice(fence.length, code.length - fence.length);
        expect(Math.max(0, ...(inner.match(/`+/g) ?? []).map((r) => r.length))).toBeLessThan(fence.length);
        expect(code).not.toMatch(/\n|(?<!\\)\|/);
      }),
    );
  });
});

describe('reproduce commands a user pastes into a shell', () => {
  it('leaves ordinary words alone and quotes the rest', () => {
    expect(shellWords(['lwt-regress', 'run', '--lwt', 'opam:5.6.1', '--case', 'a,b'])).toBe(
      'lwt-regress run --lwt opam:5.6.1 --case a,b',
    );
    expect(shellWords(['--lwt-src', '/tmp/a b'])).toBe("--lwt-src '/tmp/a b'");
    expect(shellWords(["it's"])).toBe("'it'\\''s'");
    expect(shellWords([''])).toBe("''");
  });

  it('sh reads back exactly the words that were quoted, whatever they hold', async () => {
    const words = ['$(touch /nonexistent/pwned)', "a'b", 'a b', '`x`', '*', '\\', ';', 'ok', '\n', '~user', '#c'];
    const { stdout } = await execa('sh', ['-c', `printf '%s\\0' ${shellWords(words)}`]);
    expect(stdout.split('\0').slice(0, -1)).toEqual(words);
  });
});
