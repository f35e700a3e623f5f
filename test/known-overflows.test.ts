import { describe, expect, it } from 'vitest';
import { holdsFrame } from '../src/cases/frame-names.js';
import { type CycleFrame, formatKnownClass, matchKnownClass, overflowVersions } from '../src/cases/known-overflows.js';
import { loadCases } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';

const manifest = (name: string, expect: unknown[], extra: Record<string, unknown> = {}) =>
  parseManifest(name, {
    title: `the ${name} overflow`,
    description: 'd',
    needs: '>=2.0.0',
    size: { default: 1 },
    expect,
    ...extra,
  });

/** A cycle as the analysis gives it: demangled names, with the definitions OCaml recorded where given. */
const cycle = (...frames: (string | [string, string])[]): CycleFrame[] =>
  frames.map((f) => (typeof f === 'string' ? { name: f, definition: null } : { name: f[0], definition: f[1] }));

// Shaped like the built-in cases: a hand-off fixed in 2.3.1, and a tower never fixed, sharing run_waiters_rec.
const handOff = manifest(
  'hand-off',
  [
    { lwt: '<2.1.0', outcome: 'cycle', frames: ['Lwt_sequence.iter_l'] },
    { lwt: '>=2.1.0 <2.2.0', outcome: 'cycle', frames: ['Case.<fun>', 'Lwt.run_waiters_rec'] },
    { lwt: '>=2.2.0 <2.3.1', outcome: 'cycle', frames: ['Lwt.run_waiters_rec', 'Lwt.run_waiters'] },
    { lwt: '>=2.3.1', outcome: 'clean' },
  ],
  { signature: ['Lwt_mutex'] },
);
const tower = manifest('tower', [
  { lwt: '<2.1.1', outcome: 'cycle', frames: ['Lwt.map'] },
  { lwt: '>=2.1.1 <2.2.0', outcome: 'clean' },
  { lwt: '>=2.2.0 <3.2.0', outcome: 'cycle', frames: ['Lwt.run_waiters_rec'] },
  { lwt: '>=3.2.0', outcome: 'cycle', frames: ['Lwt.resolve', 'Lwt.iter_callback_list'] },
]);
const chain = manifest('chain', [
  { lwt: '>=3.2.0', ocaml: '>=5.0', outcome: 'clean', why: 'OCaml 5: caught' },
  { lwt: '*', outcome: 'cycle', frames: ['Lwt.resolve', 'Lwt.iter_callback_list'] },
]);

describe('naming the known overflow of a cycle', () => {
  it('a cycle holding every frame an expectation lists matches that case, its own Case frames left out', () => {
    const k = matchKnownClass(cycle('Server.handle', 'Lwt.bind', 'Lwt.run_waiters_rec'), [handOff], '4.13.1');
    expect(k).toMatchObject({ status: 'match', casesCompared: 1 });
    expect(k.candidates).toEqual([
      {
        case: 'hand-off',
        title: 'the hand-off overflow',
        presentIn: '>=2.0.0 <2.3.1',
        fixedIn: '2.3.1',
        signature: null,
        expectation: { lwt: '>=2.1.0 <2.2.0', ocaml: null, frames: ['Lwt.run_waiters_rec'] },
        specificity: 1,
        best: true,
      },
    ]);
  });

  it('a cycle of the program alone, or lacking one frame of every expectation, is no known class', () => {
    const none = matchKnownClass(cycle('Self_recursion.count'), [handOff, tower, chain], '4.13.1');
    expect(none).toEqual({ status: 'none', casesCompared: 3, candidates: [] });
    expect(formatKnownClass(none)).toBe('Known overflow: no known class (the cycle matches none of the 3 cases)');
    // Lwt.resolve without Lwt.iter_callback_list: not the tower's or the chain's 3.2.0 cycle.
    expect(matchKnownClass(cycle('App.f', 'Lwt.resolve'), [tower, chain], '4.13.1').status).toBe('none');
  });

  it('a frame several cases share does not decide: the case whose expectation holds more frames ranks first', () => {
    const k = matchKnownClass(cycle('Lwt.<fun>', 'Lwt.run_waiters_rec', 'Lwt.run_waiters'), [tower, handOff], null);
    expect(k.status).toBe('match');
    expect(k.candidates.map((c) => [c.case, c.specificity, c.best])).toEqual([
      ['hand-off', 2, true],
      ['tower', 1, false],
    ]);
    expect(k.candidates[0]!.expectation!.lwt).toBe('>=2.2.0 <2.3.1');
    expect(formatKnownClass(k)).toMatch(/; also consistent with: tower$/);
  });

  it('equally specific cases are all named, none picked: the match is ambiguous', () => {
    const k = matchKnownClass(cycle('App.f', 'Lwt.resolve', 'Lwt.iter_callback_list'), [tower, chain], '4.13.1');
    expect(k.status).toBe('ambiguous');
    expect(k.candidates.map((c) => [c.case, c.best])).toEqual([
      ['tower', true],
      ['chain', true],
    ]);
    const line = formatKnownClass(k);
    expect(line).toMatch(/^Known overflow: matches one of 2 equally specific cases: tower: .*; chain: /);
    expect(line).not.toMatch(/\n/);
  });

  it("a case's signature identifies it in any Lwt era and outranks more frames of another case", () => {
    // The hand-off through Lwt_mutex.with_lock on a Lwt whose frames are of the resolution loop (3.2.0 on).
    const frames = cycle(
      'Lwt.callback',
      'Lwt.iter_callback_list',
      'Lwt.resolve',
      ['Lwt_mutex.<fun>', 'Lwt_mutex.with_lock.(fun)'],
      'Lwt.<fun>',
    );
    const k = matchKnownClass(frames, [tower, handOff], '4.13.1');
    expect(k.status).toBe('match');
    expect(k.candidates.map((c) => [c.case, c.specificity, c.best])).toEqual([
      ['hand-off', 1, true],
      ['tower', 2, false],
    ]);
    expect(k.candidates[0]).toMatchObject({ signature: ['Lwt_mutex'], expectation: null });
    expect(formatKnownClass(k)).toBe(
      'Known overflow: matches hand-off: the hand-off overflow, present in Lwt >=2.0.0 <2.3.1, fixed in 2.3.1 ' +
        '(by its signature Lwt_mutex alone: its Lwt frames are those of no version the case overflows on); ' +
        'also consistent with: tower',
    );
    // Without its signature's frame, the same cycle is the tower's.
    expect(matchKnownClass(frames.slice(0, 3), [tower, handOff], '4.13.1').candidates.map((c) => c.case)).toEqual([
      'tower',
    ]);
  });

  it('present in: the union of the ranges expected to overflow, within "needs"; fixed in: where it stays clean', () => {
    expect(overflowVersions(handOff, '4.13.1')).toEqual({ presentIn: '>=2.0.0 <2.3.1', fixedIn: '2.3.1' });
    // Clean in 2.1.1 but back from 2.2.0: two spans, and never fixed.
    expect(overflowVersions(tower, '4.13.1')).toEqual({ presentIn: '>=2.0.0 <2.1.1 || >=2.2.0', fixedIn: null });
    const holed = manifest(
      'holed',
      [
        { lwt: '<3.0.0', outcome: 'cycle', frames: ['Lwt.map'] },
        { lwt: '*', outcome: 'clean' },
      ],
      {
        needs: '>=2.0.0 <2.4.7 || >=2.4.8',
      },
    );
    // Where the case does not apply it is neither present nor clean: the fix is still 3.0.0.
    expect(overflowVersions(holed, null)).toEqual({ presentIn: '>=2.0.0 <2.4.7 || >=2.4.8 <3.0.0', fixedIn: '3.0.0' });
    const never = manifest('never', [{ lwt: '*', outcome: 'clean' }]);
    expect(overflowVersions(never, null)).toEqual({ presentIn: null, fixedIn: null });
  });

  it("the executable's compiler picks the expectations: OCaml 5's own entries apply to OCaml 5 only", () => {
    expect(overflowVersions(chain, '4.13.1')).toEqual({ presentIn: '>=2.0.0', fixedIn: null });
    expect(overflowVersions(chain, '5.3.0')).toEqual({ presentIn: '>=2.0.0 <3.2.0', fixedIn: '3.2.0' });
    // Unknown compiler: only the entries for any compiler.
    expect(overflowVersions(chain, null)).toEqual({ presentIn: '>=2.0.0', fixedIn: null });
    const k = matchKnownClass(cycle('Lwt.resolve', 'Lwt.iter_callback_list'), [chain], '5.3.0+options');
    expect(k.candidates[0]).toMatchObject({ fixedIn: '3.2.0', expectation: { lwt: '*', ocaml: null } });
  });

  it('a case that was never fixed says so', () => {
    const k = matchKnownClass(cycle('Lwt.map'), [tower], '4.13.1');
    expect(formatKnownClass(k)).toBe(
      'Known overflow: matches tower: the tower overflow, present in Lwt >=2.0.0 <2.1.1 || >=2.2.0, not fixed ' +
        '(by Lwt.map as on Lwt <2.1.1)',
    );
  });

  it("names the 2011 Arakoon cycle (the blog's frames, no debug info) as mutex-unlock-storm", async () => {
    const { cases } = await loadCases();
    // camlLwt__fun_1826 ×2, camlLwt__run_waiters_rec_1181, camlLwt__run_waiters_1199,
    // camlLwt_mutex__fun_1084, camlLwt__fun_1956
    const arakoon = cycle(
      'Lwt.<fun>',
      'Lwt.<fun>',
      'Lwt.run_waiters_rec',
      'Lwt.run_waiters',
      'Lwt_mutex.<fun>',
      'Lwt.<fun>',
    );
    const k = matchKnownClass(
      arakoon,
      cases.map((c) => c.manifest),
      null,
    );
    expect(k.status).toBe('match');
    expect(k.candidates[0]).toMatchObject({
      case: 'mutex-unlock-storm',
      presentIn: '>=2.0.0 <2.3.1',
      fixedIn: '2.3.1',
      signature: ['Lwt_mutex'],
      expectation: { lwt: '>=2.2.0 <2.3.1', frames: ['Lwt.run_waiters_rec', 'Lwt.run_waiters'] },
    });
    expect(formatKnownClass(k)).toMatch(
      'Known overflow: matches mutex-unlock-storm: the 2011 mutex hand-off (Lwt_mutex.unlock through Lwt.wakeup), ' +
        'present in Lwt >=2.0.0 <2.3.1, fixed in 2.3.1 (by its signature Lwt_mutex; ' +
        'Lwt.run_waiters_rec, Lwt.run_waiters as on Lwt >=2.2.0 <2.3.1)',
    );
  });
});

describe('a manifest name among the frames of a cycle', () => {
  it('a module name holds any frame of that module; a lower-case name only itself', () => {
    expect(holdsFrame('Lwt_mutex', ['Lwt.resolve', 'Lwt_mutex.<fun>'], [])).toBe(true);
    expect(holdsFrame('Lwt_mutex', ['Lwt_mutex_extra.<fun>', 'Lwt.resolve'], [])).toBe(false);
    expect(holdsFrame('Lwt_mutex', ['App.<fun>'], ['Lwt_mutex.with_lock.(fun)'])).toBe(true);
    expect(holdsFrame('caml_modify', ['caml_modify'], [])).toBe(true);
    expect(holdsFrame('caml', ['caml.x'], [])).toBe(false);
    expect(holdsFrame('Lwt.bind', ['Lwt.<fun>'], ['Lwt.bind.(fun)'])).toBe(true);
    expect(holdsFrame('Lwt.resolve', ['Lwt.Resolution_loop.resolve'], [])).toBe(true);
  });
});
