/**
 * Which compiler builds a Lwt tree (src/toolchain/compiler-choice.ts), and
 * the text every report says of it (src/report/compilers.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ProbeCompiler } from '../src/probe/probe.js';
import { chosenBy, compilerLines } from '../src/report/compilers.js';
import { type CompilerTraits, chooseCompiler, type Need, unmetNeeds } from '../src/toolchain/compiler-choice.js';

const debian: CompilerTraits = { name: '4.13.1', ocamlVersion: '4.13.1', unsafeStrings: false, camlp4: true };
const era: CompilerTraits = { name: '4.13.1+unsafe-string', ocamlVersion: '4.13.1', unsafeStrings: true, camlp4: true };
const ocaml5: CompilerTraits = { name: '5.3.0', ocamlVersion: '5.3.0', unsafeStrings: false, camlp4: false };
const others = [era, ocaml5];

const strings: Need = { kind: 'unsafe-strings', why: 'this Lwt writes into strings (src/unix/lwt_bytes.ml)' };
const camlp4: Need = { kind: 'camlp4', why: 'this Lwt is written in its camlp4 syntax (src/core/lwt_mutex.ml)' };
const domain: Need = { kind: 'ocaml-5', why: "this Lwt uses OCaml 5's Domain (src/core/domain_map.ml)" };
const pervasives: Need = { kind: 'ocaml-4', why: 'this Lwt uses Pervasives, which OCaml 5 removed (src/core/lwt.ml)' };

describe('the compiler a tree needs', () => {
  it('is the default whenever the default meets every need', () => {
    expect(chooseCompiler([], debian, others)).toEqual({ kind: 'default' });
    expect(chooseCompiler([camlp4, pervasives], debian, others)).toEqual({ kind: 'default' });
    expect(chooseCompiler([strings], era, [ocaml5])).toEqual({ kind: 'default' });
    expect(chooseCompiler([domain], ocaml5, [era])).toEqual({ kind: 'default' });
  });

  it('is the era compiler for a tree that writes into strings, saying why the default would not do', () => {
    const choice = chooseCompiler([strings, camlp4], debian, others);
    expect(choice).toEqual({
      kind: 'other',
      compiler: era,
      why: 'this Lwt writes into strings (src/unix/lwt_bytes.ml), and OCaml 4.13.1 forces safe strings',
    });
  });

  it('is OCaml 5.3.0 for a tree that uses OCaml 5, and the era compiler for camlp4 or Pervasives on OCaml 5', () => {
    expect(chooseCompiler([domain], debian, others)).toMatchObject({ kind: 'other', compiler: ocaml5 });
    expect(chooseCompiler([camlp4], ocaml5, others)).toMatchObject({
      kind: 'other',
      compiler: era,
      why: expect.stringContaining('OCaml 5.3.0 has no camlp4 of its own'),
    });
    expect(chooseCompiler([pervasives], ocaml5, others)).toMatchObject({ kind: 'other', compiler: era });
  });

  it('is none when no compiler meets every need, and the first that does wins in order', () => {
    expect(chooseCompiler([domain, camlp4], debian, others)).toMatchObject({
      kind: 'none',
      why: expect.stringContaining('no compiler lwt-regress builds meets all of it'),
    });
    const another = { ...era, name: 'another' };
    expect(chooseCompiler([strings], debian, [another, era])).toMatchObject({ compiler: another });
  });

  it('lists exactly the needs a compiler does not meet', () => {
    expect(unmetNeeds(debian, [strings, camlp4, domain, pervasives])).toEqual([strings, domain]);
    expect(unmetNeeds(ocaml5, [strings, camlp4, domain, pervasives])).toEqual([strings, camlp4, pervasives]);
    expect(unmetNeeds(era, [strings, camlp4, pervasives])).toEqual([]);
  });
});

describe('what the reports say of a compiler', () => {
  const onPath: ProbeCompiler = {
    name: '4.13.1',
    version: '4.13.1',
    chosenBy: 'lwt-regress',
    description: 'ocamlfind on PATH',
  };
  const chosen: ProbeCompiler = {
    name: '4.13.1+unsafe-string',
    version: '4.13.1',
    chosenBy: 'lwt-regress',
    description: '--ocaml /c/4.13.1+unsafe-string',
    why: 'this Lwt writes into strings (src/unix/lwt_bytes.ml), and OCaml 4.13.1 forces safe strings',
  };
  const named: ProbeCompiler = { name: '5.3.0', version: '5.3.0', chosenBy: 'user', description: '--ocaml /c/5.3.0' };

  it('says who chose it, and why lwt-regress chose another than the default', () => {
    expect(chosenBy(onPath)).toBe('chosen by lwt-regress (the default: ocamlfind on PATH)');
    expect(chosenBy(chosen)).toBe(`chosen by lwt-regress: ${chosen.why}`);
    expect(chosenBy(named)).toBe('chosen by you (--ocaml /c/5.3.0)');
  });

  it('gives one line per compiler, with the Lwt versions it built', () => {
    const probes = [
      { compiler: chosen, lwt: { label: '2.3.0 (git)' } },
      { compiler: chosen, lwt: { label: '2.3.0 (git)' } },
      { compiler: onPath, lwt: { label: '5.6.1' } },
      { compiler: { ...chosen, why: 'another file' }, lwt: { label: '2.0.0 (git)' } },
    ];
    expect(compilerLines(probes)).toEqual([
      `OCaml 4.13.1+unsafe-string for Lwt 2.3.0 (git), 2.0.0 (git): chosen by lwt-regress: ${chosen.why}`,
      'OCaml 4.13.1 for Lwt 5.6.1: chosen by lwt-regress (the default: ocamlfind on PATH)',
    ]);
  });
});
