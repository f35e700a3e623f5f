import { describe, expect, it } from 'vitest';
import { type CaseManifest, expectationFor, knownOverflow, parseManifest, programArgs } from '../src/cases/manifest.js';
import { EXIT, type UserError } from '../src/errors.js';
import { refusal } from './support/refusal.js';

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
    [{ signature: ['Lwt_mutex', 'unlock'] }, /"signature" must be a non-empty list of OCaml names/],
    [{ signature: [['Lwt_mutex']] }, /"signature" must be a non-empty list of OCaml names/],
    [{ signature: ['my_Lwt'] }, /"signature" must be a non-empty list of OCaml names/],
    [{ signature: ['Lwt.map f'] }, /"signature" must be a non-empty list of OCaml names/],
  ])('%j is refused with one message naming the field', (extra, message) => {
    expect(() => manifest([{ lwt: '*', outcome: 'clean' }], extra)).toThrow(message);
  });

  it('a command case cannot expect per Lwt version: it does not choose its Lwt', () => {
    expect(() => manifest([{ lwt: '>=2.3.1', outcome: 'clean' }], { command: ['./x'] })).toThrow(/"lwt": "\*"/);
    // Not even in one entry among others that hold for any Lwt.
    const mixed = [
      { lwt: '*', outcome: 'clean' },
      { lwt: '>=2.3.1', outcome: 'cycle' },
    ];
    expect(() => manifest(mixed, { command: ['./x'] })).toThrow(/"lwt": "\*"/);
  });

  it('a signature is a list of module names or dotted values, kept as given', () => {
    const signature = ['Lwt_mutex', 'Lwt.map', "Lwt_list.iter_p'"];
    expect(manifest([{ lwt: '*', outcome: 'clean' }], { signature }).signature).toEqual(signature);
  });

  it('a field the case.json leaves out is absent from the manifest, not present as undefined', () => {
    const m = manifest([{ lwt: '*', outcome: 'cycle' }]);
    expect(Object.keys(m)).not.toContain('signature');
    expect(Object.keys(m.expect[0]!).sort()).toEqual(['frames', 'lwt', 'outcome', 'why']);
  });
});

const compilerManifest = (expect: unknown[]) =>
  parseManifest('m', { description: 'd', needs: '>=2.0.0', size: { default: 1, meaning: 'n' }, expect });

describe('expectations per compiler', () => {
  const m = () =>
    compilerManifest([
      { lwt: '>=6.0.0-0', ocaml: '>=5.0', outcome: 'cycle', exception: 'uncaught', frames: ['Lwt.resolve'] },
      { lwt: '>=3.2.0', ocaml: '>=5.0', outcome: 'cycle', exception: 'caught-by-lwt', frames: ['Lwt.resolve'] },
      { lwt: '>=3.2.0', outcome: 'cycle', frames: ['Lwt.resolve'] },
      { lwt: '<3.2.0', outcome: 'clean' },
    ]);

  it('an entry with an ocaml range applies only to compilers in it; the first that holds both versions wins', () => {
    expect(expectationFor(m(), '6.1.2', '5.3.0')).toMatchObject({ exception: 'uncaught' });
    expect(expectationFor(m(), '6.0.0-beta01', '5.3.0')).toMatchObject({ exception: 'uncaught' });
    expect(expectationFor(m(), '5.6.1', '5.3.0')).toMatchObject({ exception: 'caught-by-lwt' });
    expect(expectationFor(m(), '5.6.1', '4.14.1')).toEqual({
      lwt: '>=3.2.0',
      outcome: 'cycle',
      frames: ['Lwt.resolve'],
      why: '',
    });
    expect(expectationFor(m(), '6.1.2', '4.13.1')?.exception).toBeUndefined();
    expect(expectationFor(m(), '2.3.0', '5.3.0')).toMatchObject({ outcome: 'clean' });
  });

  it('compiler versions with a suffix count as their release', () => {
    expect(expectationFor(m(), '5.6.1', '5.3.0+dev0-2024')).toMatchObject({ exception: 'caught-by-lwt' });
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

describe('a manifest is refused field by field, with the exit code of a usage error', () => {
  const valid = {
    description: 'd',
    needs: '>=2.0.0',
    size: { default: 3, meaning: 'n' },
    expect: [{ lwt: '*', outcome: 'clean' }],
  };
  const refused = (data: unknown): UserError => refusal(() => parseManifest('c', data));

  it.each([
    ['null', null, 'is not a JSON object'],
    ['a string', 'x', 'is not a JSON object'],
    ['no description', { ...valid, description: undefined }, 'needs a "description" string'],
    ['a needs that is no range', { ...valid, needs: 'soon' }, 'needs "needs": a semver range of Lwt versions'],
    ['a needs that is a number', { ...valid, needs: 2 }, 'needs "needs": a semver range'],
    ['no size', { ...valid, size: undefined }, 'needs "size": { "default": a positive integer, "meaning": text }'],
    ['a size of zero', { ...valid, size: { default: 0 } }, 'needs "size"'],
    ['a fractional size', { ...valid, size: { default: 1.5 } }, 'needs "size"'],
    ['packages that is no list', { ...valid, packages: 'lwt.unix' }, '"packages" must be a list'],
    ['a package that is no name', { ...valid, packages: ['lwt.unix', '.x'] }, '"packages" must be a list'],
    ['a package that is a number', { ...valid, packages: [1] }, '"packages" must be a list'],
    ['a package ending in a dot', { ...valid, packages: ['lwt.'] }, '"packages" must be a list'],
    ['no expectations', { ...valid, expect: [] }, 'needs a non-empty "expect" list'],
    ['expect that is no list', { ...valid, expect: { lwt: '*' } }, 'needs a non-empty "expect" list'],
    ['an expectation that is null', { ...valid, expect: [null] }, 'expect[0] must be an object'],
    ['an expectation that is a list', { ...valid, expect: [['*']] }, 'expect[0] must be an object'],
    [
      'a second expectation without lwt',
      { ...valid, expect: [{ lwt: '*', outcome: 'clean' }, { outcome: 'clean' }] },
      'expect[1] needs "lwt": a semver range',
    ],
    ['a bad lwt range', { ...valid, expect: [{ lwt: 'two', outcome: 'clean' }] }, 'expect[0] needs "lwt"'],
    [
      'an unknown outcome',
      { ...valid, expect: [{ lwt: '*', outcome: 'crash' }] },
      'expect[0] needs "outcome": "cycle" or "clean"',
    ],
    [
      'frames that are no list',
      { ...valid, expect: [{ lwt: '*', outcome: 'cycle', frames: 'Lwt.bind' }] },
      'expect[0] "frames" must be a list of names',
    ],
    [
      'a frame that is no name',
      { ...valid, expect: [{ lwt: '*', outcome: 'cycle', frames: [1] }] },
      '"frames" must be a list of names',
    ],
    [
      'an ocaml range that is a number',
      { ...valid, expect: [{ lwt: '*', outcome: 'cycle', ocaml: 5 }] },
      '"ocaml" must be a semver range',
    ],
    [
      'an exception on a clean run',
      { ...valid, expect: [{ lwt: '*', ocaml: '>=5', outcome: 'clean', exception: 'uncaught' }] },
      '"exception" needs "outcome": "cycle"',
    ],
    ['args that are no list', { ...valid, args: '{size}' }, '"args" must be a list of strings'],
    ['an argument that is a number', { ...valid, args: [3] }, '"args" must be a list of strings'],
    ['a dune entry that is null', { ...valid, dune: null }, '"dune" needs'],
    ['a dune root that is no string', { ...valid, dune: { root: 1, target: 'a.exe' } }, '"dune" needs'],
    ['a dune target that is empty', { ...valid, dune: { root: '.', target: '' } }, '"dune" needs'],
    ['a command that is no list', { ...valid, command: './x' }, '"command" must be the program'],
    ['a command with a number', { ...valid, command: ['./x', 3] }, '"command" must be the program'],
    ['a command with an empty program', { ...valid, command: [''] }, '"command" must be the program'],
    ['a title that is blank', { ...valid, title: '  ' }, '"title" must be a short name'],
    ['a title that is a number', { ...valid, title: 3 }, '"title" must be a short name'],
    ['an expectation that is a string', { ...valid, expect: ['cycle'] }, 'expect[0] must be an object'],
    ['a size that is null', { ...valid, size: null }, 'needs "size"'],
    // String(true) reads as a package name: only strings are names.
    ['a package that is no string', { ...valid, packages: [true] }, '"packages" must be a list'],
    ['an argument among strings that is a number', { ...valid, args: ['-n', 3] }, '"args" must be a list of strings'],
  ])('%s', (_what, data, message) => {
    const error = refused(data);
    expect(error.message.startsWith('case c: its case.json ')).toBe(true);
    expect(error.message).toContain(message);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.fix).toBe('Fix ocaml-cases/c/case.json (see ocaml-cases/README.md for the format)');
  });

  it('a size or a dune entry is an object: a function carrying the same fields is refused', () => {
    // parseManifest takes any value, not only what JSON.parse gives.
    const carrying = (fields: object) => Object.assign(() => undefined, fields);
    expect(refused({ ...valid, size: carrying({ default: 3 }) }).message).toContain('needs "size"');
    const dune = carrying({ root: '.', target: 'a.exe' });
    expect(refused({ ...valid, dune }).message).toContain('"dune" needs');
  });

  it('a package name may be a bare library or have several dotted parts', () => {
    const packages = ['threads', 'lwt.unix', 'a.b.c'];
    expect(parseManifest('c', { ...valid, packages }).packages).toEqual(packages);
  });

  it('takes what it is given, and defaults the rest', () => {
    const m = parseManifest('c', {
      ...valid,
      title: 'the storm',
      packages: ['lwt.unix', 'ocplib-endian.bigstring'],
      args: ['-n', '{size}'],
      sources: ['https://example.org', 3],
      expect: [
        { lwt: '<2.3.1', outcome: 'cycle', frames: ['Lwt.wakeup'], why: 'the 2011 bug' },
        { lwt: '*', ocaml: '>=5.0', outcome: 'cycle', exception: 'caught-by-lwt' },
      ],
    });
    expect(m).toEqual({
      name: 'c',
      title: 'the storm',
      program: { kind: 'ocaml' },
      args: ['-n', '{size}'],
      description: 'd',
      needs: '>=2.0.0',
      size: { default: 3, meaning: 'n' },
      packages: ['lwt.unix', 'ocplib-endian.bigstring'],
      expect: [
        { lwt: '<2.3.1', outcome: 'cycle', frames: ['Lwt.wakeup'], why: 'the 2011 bug' },
        { lwt: '*', ocaml: '>=5.0', outcome: 'cycle', exception: 'caught-by-lwt', frames: [], why: '' },
      ],
      sources: ['https://example.org'],
    });
    const bare = parseManifest('bare', { ...valid, size: { default: 2 } });
    expect(bare).toMatchObject({
      title: 'bare',
      args: ['{size}'],
      packages: [],
      sources: [],
      size: { default: 2, meaning: '' },
    });
    expect(parseManifest('d', { ...valid, dune: { root: '..', target: 't/x.exe' } }).program).toEqual({
      kind: 'dune',
      root: '..',
      target: 't/x.exe',
    });
    expect(parseManifest('e', { ...valid, command: ['./x'], expect: [{ lwt: '*', outcome: 'clean' }] }).args).toEqual([
      '{size}',
    ]);
  });
});

describe('the overflow a case knows', () => {
  const known = (manifest: CaseManifest, entry: number) => knownOverflow(manifest, manifest.expect[entry]!);
  const m = () =>
    parseManifest('storm', {
      description: 'd',
      needs: '*',
      title: 'the 2011 mutex hand-off',
      size: { default: 1 },
      expect: [
        { lwt: '<2.3.1', outcome: 'cycle' },
        { lwt: '<6.0.0', ocaml: '>=5.0', outcome: 'cycle', exception: 'uncaught' },
        { lwt: '*', ocaml: '<5.0', outcome: 'clean' },
        { lwt: '>=6.0.0', ocaml: '>=5.0', outcome: 'clean' },
        { lwt: '>=2.3.1', outcome: 'clean' },
      ],
    });
  const back = () =>
    parseManifest('back', {
      description: 'd',
      needs: '*',
      size: { default: 1 },
      expect: [
        { lwt: '<2.3.1', outcome: 'cycle' },
        { lwt: '>=2.3.1 <4.0.0', outcome: 'clean' },
        { lwt: '>=4.0.0', outcome: 'cycle' },
      ],
    });

  it('is named by the title, and fixed in the first version of the clean range that follows it', () => {
    expect(known(m(), 0)).toEqual({ title: 'the 2011 mutex hand-off', fixedIn: '2.3.1' });
  });

  it('among the entries for its own compilers (or for any): not by those for other compilers', () => {
    expect(known(m(), 1)).toEqual({ title: 'the 2011 mutex hand-off', fixedIn: '6.0.0' });
  });

  const ranges = (name: string, expect: unknown[]) =>
    parseManifest(name, { description: 'd', needs: '*', size: { default: 1 }, expect });

  it('is fixed in the first of several clean ranges that follow it, not the last', () => {
    const m = ranges('twice', [
      { lwt: '<2.0.0', outcome: 'cycle' },
      { lwt: '>=2.0.0 <3.0.0', outcome: 'clean' },
      { lwt: '>=3.0.0', outcome: 'clean' },
    ]);
    expect(known(m, 0)).toEqual({ title: 'twice', fixedIn: '2.0.0' });
  });

  it('is not fixed by a clean range before it', () => {
    const m = ranges('late', [
      { lwt: '<1.0.0', outcome: 'clean' },
      { lwt: '>=1.0.0 <2.0.0', outcome: 'cycle' },
      { lwt: '>=2.0.0', outcome: 'clean' },
    ]);
    expect(known(m, 1)).toEqual({ title: 'late', fixedIn: '2.0.0' });
  });

  it('overflowing over several ranges, it is fixed where the clean ones begin', () => {
    const m = ranges('long', [
      { lwt: '<2.0.0', outcome: 'cycle' },
      { lwt: '>=2.0.0 <3.0.0', outcome: 'cycle' },
      { lwt: '>=3.0.0', outcome: 'clean' },
    ]);
    expect(known(m, 0)).toEqual({ title: 'long', fixedIn: '3.0.0' });
  });

  it('on some compilers, it is fixed by a clean range for any compiler', () => {
    const m = ranges('five', [
      { lwt: '<6.0.0', ocaml: '>=5.0', outcome: 'cycle' },
      { lwt: '>=6.0.0', outcome: 'clean' },
    ]);
    expect(known(m, 0)).toEqual({ title: 'five', fixedIn: '6.0.0' });
  });

  it('is not fixed where it comes back later, and nothing is known of a clean expectation', () => {
    expect(known(back(), 0)).toEqual({ title: 'back', fixedIn: null });
    expect(known(back(), 2)).toEqual({ title: 'back', fixedIn: null });
    expect(known(m(), 2)).toBeNull();
  });
});

describe('the expectation for a compiler', () => {
  const m = () =>
    parseManifest('m', {
      description: 'd',
      needs: '*',
      size: { default: 1 },
      expect: [
        { lwt: '*', ocaml: '>=5.0', outcome: 'cycle', exception: 'uncaught' },
        { lwt: '*', outcome: 'clean' },
      ],
    });

  it('a compiler version that names no version matches no ocaml range, only the entries for any compiler', () => {
    expect(expectationFor(m(), '5.6.1', 'trunk')?.outcome).toBe('clean');
    expect(expectationFor(m(), '5.6.1', '5.3.0')?.outcome).toBe('cycle');
    expect(expectationFor(m(), '5.6.1', '4.14.1')?.outcome).toBe('clean');
  });

  it('an Lwt version outside every range has none', () => {
    const narrow = parseManifest('n', {
      description: 'd',
      needs: '*',
      size: { default: 1 },
      expect: [{ lwt: '<2.0.0', outcome: 'clean' }],
    });
    expect(expectationFor(narrow, '2.3.0', '4.13.1')).toBeUndefined();
  });
});
