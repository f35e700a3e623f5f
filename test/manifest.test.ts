import { describe, expect, it } from 'vitest';
import { expectationFor, parseManifest, programArgs } from '../src/cases/manifest.js';

const manifest = (expect: unknown[], extra: Record<string, unknown> = {}) =>
  parseManifest('m', { description: 'd', needs: '*', size: { default: 7 }, expect, ...extra });

describe('a case manifest', () => {
  it('the first expectation whose range holds the version applies, not the last', () => {
    const m = manifest([
      { lwt: '<2.3.1', outcome: 'cycle' },
      { lwt: '<3.0.0', outcome: 'clean' },
      { lwt: '*', outcome: 'cycle' },
    ]);
    expect(expectationFor(m, '2.3.0')!.outcome).toBe('cycle');
    expect(expectationFor(m, '2.3.1')!.outcome).toBe('clean');
    expect(expectationFor(m, '5.6.1')!.outcome).toBe('cycle');
    // A pre-release precedes its release: 2.3.1-beta1 is still before the fix of 2.3.1.
    expect(expectationFor(m, '2.3.1-beta1')!.outcome).toBe('cycle');
  });

  it('a program takes its size unless "args" says otherwise; a command case names its program', () => {
    expect(programArgs(manifest([{ lwt: '*', outcome: 'clean' }]).args, 7)).toEqual(['7']);
    expect(programArgs(['--n', '{size}', 'x{size}'], 7)).toEqual(['--n', '7', 'x7']);
    const command = manifest([{ lwt: '*', outcome: 'clean' }], { command: ['./t.exe', '{size}'] });
    expect(command.program).toEqual({ kind: 'command', argv: ['./t.exe', '{size}'] });
  });

  it.each([
    [{ command: [] }, /"command" must be the program and its arguments/],
    [{ dune: { root: '..' } }, /"dune" needs/],
    [{ dune: { root: '..', target: 'a.exe' }, command: ['x'] }, /has both "dune" and "command"/],
    [{ command: ['x'], args: ['1'] }, /"args" does not go with "command"/],
    [{ packages: ['lwt unix'] }, /"packages" must be a list of findlib package names/],
    [{ title: '' }, /"title" must be a short name/],
  ])('%j is refused with one message naming the field', (extra, message) => {
    expect(() => manifest([{ lwt: '*', outcome: 'clean' }], extra)).toThrow(message);
  });

  it('a command case cannot expect per Lwt version: it does not choose its Lwt', () => {
    expect(() => manifest([{ lwt: '>=2.3.1', outcome: 'clean' }], { command: ['./x'] })).toThrow(/"lwt": "\*"/);
  });
});
