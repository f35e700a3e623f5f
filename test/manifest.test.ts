import { describe, expect, it } from 'vitest';
import { expectationFor, parseManifest } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';

const manifest = (expect: unknown[]) =>
  parseManifest('m', { description: 'd', needs: '>=2.0.0', size: { default: 1, meaning: 'n' }, expect });

describe('expectations per compiler', () => {
  const m = manifest([
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
    const bad = (e: Record<string, unknown>) => () => manifest([{ lwt: '*', outcome: 'cycle', ...e }]);
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
