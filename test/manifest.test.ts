import { describe, expect, it } from 'vitest';
import { expectationFor, parseManifest, programArgs } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';

const manifest = (expect: unknown[], extra: Record<string, unknown> = {}) =>
  parseManifest('m', { description: 'd', needs: '*', size: { default: 7 }, expect, ...extra });

describe('a case manifest', () => {
  it('the first expectation whose range holds the version applies, not the last', () => {
    const m = manifest([
      { lwt: '<2.3.1', outcome: 'cycle' },
      { lwt: '<3.0.0', outcome: 'clean' },
      { lwt: '*', outcome: 'cycle' },
    ]);
    expect(expectationFor(m, '2.3.0', '4.13.1')!.outcome).toBe('cycle');
    expect(expectationFor(m, '2.3.1', '4.13.1')!.outcome).toBe('clean');
    expect(expectationFor(m, '5.6.1', '4.13.1')!.outcome).toBe('cycle');
    // A pre-release precedes its release: 2.3.1-beta1 is still before the fix of 2.3.1.
    expect(expectationFor(m, '2.3.1-beta1', '4.13.1')!.outcome).toBe('cycle');
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
    [{ signature: [] }, /"signature" must be a non-empty list of OCaml names/],
    [{ signature: 'Lwt_mutex' }, /"signature" must be a non-empty list of OCaml names/],
    [{ signature: ['lwt_mutex unlock'] }, /"signature" must be a non-empty list of OCaml names/],
  ])('%j is refused with one message naming the field', (extra, message) => {
    expect(() => manifest([{ lwt: '*', outcome: 'clean' }], extra)).toThrow(message);
  });

  it('a command case cannot expect per Lwt version: it does not choose its Lwt', () => {
    expect(() => manifest([{ lwt: '>=2.3.1', outcome: 'clean' }], { command: ['./x'] })).toThrow(/"lwt": "\*"/);
  });
});

const compilerManifest = (expect: unknown[]) =>
  parseManifest('m', { description: 'd', needs: '>=2.0.0', size: { default: 1, meaning: 'n' }, expect });

describe('expectations per compiler', () => {
  const m = compilerManifest([
    { lwt: '>=6.0.0-0', ocaml: '>=5.0', outcome: 'cycle', exception: 'uncaught', frames: ['Lwt.resolve'] },
    { lwt: '>=3.2.0', ocaml: '>=5.0', outcome: 'cycle', exception: 'caught-by-lwt', frames: ['Lwt.resolve'] },
    { lwt: '>=3.2.0', outcome: 'cycle', frames: ['Lwt.resolve'] },
    { lwt: '<3.2.0', outcome: 'clean' },
  ]);

  it('an entry with an ocaml range applies only to compilers in it; the first that holds both versions wins', () => {
    expect(expectationFor(m, '6.1.2', '5.3.0')).toMatchObject({ exception: 'uncaught' });
    expect(expectationFor(m, '6.0.0-beta01', '5.3.0')).toMatchObject({ exception: 'uncaught' });
    expect(expectationFor(m, '5.6.1', '5.3.0')).toMatchObject({ exception: 'caught-by-lwt' });
    expect(expectationFor(m, '5.6.1', '4.14.1')).toEqual({
      lwt: '>=3.2.0',
      outcome: 'cycle',
      frames: ['Lwt.resolve'],
      why: '',
    });
    expect(expectationFor(m, '6.1.2', '4.13.1')?.exception).toBeUndefined();
    expect(expectationFor(m, '2.3.0', '5.3.0')).toMatchObject({ outcome: 'clean' });
  });

  it('compiler versions with a suffix count as their release', () => {
    expect(expectationFor(m, '5.6.1', '5.3.0+dev0-2024')).toMatchObject({ exception: 'caught-by-lwt' });
  });

  it('rejects a bad ocaml range or exception, and an exception without an ocaml range', () => {
    const bad = (e: Record<string, unknown>) => () => compilerManifest([{ lwt: '*', outcome: 'cycle', ...e }]);
    for (const [entry, message] of [
      [{ ocaml: 'five' }, /"ocaml" must be a semver range/],
      [{ ocaml: '>=5.0', exception: 'swallowed' }, /"exception" must be "caught-by-lwt" or "uncaught"/],
      [{ exception: 'uncaught' }, /"exception" needs "outcome": "cycle" and an "ocaml" range/],
    ] as const) {
      expect(bad(entry)).toThrow(message);
      try {
        bad(entry)();
      } catch (error) {
        expect((error as { exitCode: number }).exitCode).toBe(EXIT.usage);
      }
    }
  });
});
