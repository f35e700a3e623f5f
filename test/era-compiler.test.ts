/**
 * The compiler follows the tree: with no --ocaml or --switch, a Lwt whose
 * lwt.unix writes into strings (as 2.0 to 2.4.6 did) is built with the era
 * compiler (Debian's 4.13.1 without forced safe strings, built from Debian's
 * sources), one whose core needs OCaml 5 with 5.3.0, anything else with the
 * default; a gate and a bisect use one compiler for all their probes, the one
 * the oldest end needs; every report says which compiler each probe used and
 * who chose it. The trees are Debian's Lwt 5.6.1 written back the way those
 * eras wrote it (src/fixtures/lwt-fixtures.ts), as the compatibility tests do.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import {
  makeGitRepository,
  makeSourceTree,
  patchTree,
  regressMutexUnlock,
  writeIntoStrings,
} from '../src/fixtures/lwt-fixtures.js';
import { treeNeeds } from '../src/lwt/tree-needs.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { runCli } from './support/cli.js';
import { ERA } from './support/compilers.js';

const compilers = inject('compilers');
const era = compilers[ERA];
let tmp: Awaited<ReturnType<typeof dir>>;
let strings: string;
let stringsRegressed: string;
let pristine: string;
let domain: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);
const STRINGS_WHY =
  /^this Lwt writes into strings \(src\/unix\/lwt_bytes\.ml\), and OCaml 4\.13\.1 forces safe strings$/;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-era-' });
  strings = await makeSourceTree(at('strings'), '5.6.1');
  await writeIntoStrings(strings);
  stringsRegressed = await makeSourceTree(at('strings-regressed'), '5.6.1');
  await writeIntoStrings(stringsRegressed);
  await regressMutexUnlock(stringsRegressed);
  pristine = await makeSourceTree(at('pristine'), '5.6.1');
  // The 6.0.0 alpha01/alpha02/beta00 pre-releases use OCaml 5's Domain in the core; so does this tree, in one line.
  domain = await makeSourceTree(at('domain'), '5.6.1');
  await patchTree(domain, 'lwt_mutex.ml', 'let unlock m =', 'let _ = Domain.self\nlet unlock m =');
}, 120_000);
afterAll(() => tmp.cleanup());

const results = (stdout: string) => (JSON.parse(stdout) as { results: ProbeResult[] }).results;
const one = (stdout: string) => results(stdout)[0]!;

describe.runIf(era)('the era compiler, OCaml 4.13.1+unsafe-string', () => {
  it('is Debian 4.13.1 without forced safe strings, with findlib, camlp4, react, result, ocplib-endian', async () => {
    const bin = join(era!, 'bin');
    const config = (await execa(join(bin, 'ocamlopt'), ['-config'])).stdout;
    expect(config).toMatch(/^version: 4\.13\.1$/m);
    expect(config).toMatch(/^safe_string: false$/m);
    expect((await execa(join(bin, 'camlp4of'), ['-version'])).stdout.trim()).toBe('4.13.1');
    const listed = (await execa(join(bin, 'ocamlfind'), ['list'])).stdout;
    for (const pkg of ['camlp4', 'react', 'result', 'ocplib-endian', 'ocplib-endian.bigstring', 'findlib', 'threads'])
      expect(listed).toMatch(new RegExp(`^${pkg.replace('.', '\\.')} `, 'm'));
    // It takes -unsafe-string, which Debian's own 4.13.1 refuses.
    const probe = at('probe.ml');
    await writeFile(probe, "let s = String.create 1\nlet () = String.set s 0 'x'; print_string s\n");
    expect(
      (
        await execa(join(bin, 'ocamlfind'), ['ocamlopt', '-unsafe-string', '-c', probe], {
          cwd: tmp.path,
          reject: false,
        })
      ).exitCode,
    ).toBe(0);
    expect(
      (await execa('ocamlfind', ['ocamlopt', '-unsafe-string', '-c', probe], { cwd: tmp.path, reject: false }))
        .exitCode,
    ).not.toBe(0);
  });

  it('builds a lwt.unix that writes into strings, chosen by lwt-regress; mutex-server is judged on it', async () => {
    const r = await runCli(['run', '--lwt-src', strings, '--case', 'mutex-server', '--json']);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const probe = one(r.stdout);
    expect(probe).toMatchObject({ status: 'pass', ocaml: '4.13.1', observed: { outcome: 'clean' } });
    expect(probe.compiler).toMatchObject({ name: ERA, version: '4.13.1', chosenBy: 'lwt-regress' });
    expect(probe.compiler.why).toMatch(STRINGS_WHY);
    expect(probe.reproduce).toContain(`--ocaml ${ERA}`);
  });

  it('finds the 2011 overflow there: the regressed tree fails with its cycle, naming the compiler', async () => {
    const r = await runCli(['run', '--lwt-src', stringsRegressed, '--case', 'mutex-server'], {
      env: { COLUMNS: '1000' },
    });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/^4\.13\.1\+unsafe-string +5\.6\.1 \(dir .*\) +mutex-server +FAIL +clean +cycle/m);
    expect(r.stdout).toContain(
      `OCaml ${ERA} for Lwt 5.6.1 (dir ${stringsRegressed}): chosen by lwt-regress: this Lwt writes`,
    );
    expect(r.stderr).toMatch(
      /Lwt 5\.6\.1 \(dir .*\): OCaml 4\.13\.1\+unsafe-string, chosen by lwt-regress: this Lwt writes into strings/,
    );
  });

  it('is not used when the cases need only the core, which does not write into strings', async () => {
    const r = await runCli(['run', '--lwt-src', strings, '--case', 'wakeup-chain', '--json']);
    expect(one(r.stdout).compiler).toMatchObject({
      name: '4.13.1',
      chosenBy: 'lwt-regress',
      description: 'ocamlfind on PATH',
    });
    expect(one(r.stdout).compiler.why).toBeUndefined();
    expect(await treeNeeds(strings, false)).toEqual([]);
    expect((await treeNeeds(strings, true)).map((n) => n.kind)).toEqual(['unsafe-strings']);
  });

  it('gives way to a compiler the user names: Debian 4.13.1 (lwt.unix untestable), the era one by name', async () => {
    const debian = await runCli(['run', '--ocaml', '/usr', '--lwt-src', strings, '--case', 'mutex-server', '--json']);
    expect(debian.exitCode).toBe(EXIT.untestable);
    expect(one(debian.stdout)).toMatchObject({ status: 'untestable', compiler: { name: '4.13.1', chosenBy: 'user' } });
    expect(one(debian.stdout).reason).toMatch(/writes into strings.*forces safe strings/);
    const named = await runCli(['run', '--ocaml', ERA, '--lwt-src', strings, '--case', 'mutex-server', '--json']);
    expect(named.exitCode, named.stderr).toBe(EXIT.ok);
    expect(one(named.stdout).compiler).toMatchObject({ name: ERA, chosenBy: 'user' });
  });

  it('builds both sides of a gate, the one the older Lwt needs, and every report says so', async () => {
    const reports = at('gate-reports');
    const r = await runCli([
      'gate',
      '--baseline',
      '5.5.0',
      '--baseline-src',
      strings,
      '--candidate-src',
      pristine,
      '--case',
      'mutex-server',
      '--json',
      '--markdown',
      join(reports, 'gate.md'),
      '--junit',
      join(reports, 'gate.xml'),
      '--html',
      join(reports, 'gate.html'),
    ]); // prettier-ignore
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const gate = JSON.parse(r.stdout) as {
      compiler: ProbeResult['compiler'];
      rows: { baseline: ProbeResult; candidate: ProbeResult }[];
    };
    expect(gate.compiler).toMatchObject({ name: ERA, chosenBy: 'lwt-regress' });
    expect(gate.rows[0]!.candidate.compiler.name).toBe(ERA);
    expect(gate.rows[0]!.baseline.compiler.name).toBe(ERA);
    const markdown = await readFile(join(reports, 'gate.md'), 'utf8');
    expect(markdown).toContain(`OCaml ${ERA} for both: chosen by lwt-regress: this Lwt writes into strings`);
    const junit = await readFile(join(reports, 'gate.xml'), 'utf8');
    expect(junit).toContain(`<property name="ocaml" value="${ERA}"/>`);
    expect(junit).toMatch(/<property name="ocaml\.chosen" value="chosen by lwt-regress: this Lwt writes/);
    expect(await readFile(join(reports, 'gate.html'), 'utf8')).toContain(`OCaml ${ERA}`);
    // The candidate alone would be built with the default.
    const alone = await runCli(['run', '--lwt-src', pristine, '--case', 'mutex-server', '--json']);
    expect(one(alone.stdout).compiler.name).toBe('4.13.1');
  });

  it('builds every probe of a commit bisect with the compiler its older end needs', async () => {
    const history = at('history');
    const shas = await makeGitRepository(history, [
      {
        message: 'release, writing into strings, with the 2011 unlock',
        tag: 'v-old',
        apply: async (t) => {
          await makeSourceTree(t, '5.6.1');
          await writeIntoStrings(t);
          await regressMutexUnlock(t);
        },
      },
      { message: 'touch', apply: (t) => patchTree(t, 'lwt_switch.ml', '(*', '(* touched *)\n(*') },
      {
        message: 'Lwt_mutex.unlock: wakeup_later',
        apply: (t) =>
          patchTree(t, 'lwt_mutex.ml', 'Lwt.wakeup (Lwt_sequence.take_l', 'Lwt.wakeup_later (Lwt_sequence.take_l'),
      },
      { message: 'touch again', tag: 'v-new', apply: (t) => patchTree(t, 'lwt_switch.ml', '(*', '(* again *)\n(*') },
    ]);
    const r = await runCli([
      'bisect',
      '--commits',
      '--lwt-git',
      history,
      '--case',
      'mutex-server',
      '--find-fix',
      '--bad',
      'v-old',
      '--good',
      'v-new',
      '--json',
    ]); // prettier-ignore
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const answer = JSON.parse(r.stdout) as { firstBad: { commit: string }; compiler: ProbeResult['compiler'] };
    expect(answer.firstBad.commit).toBe(shas[2]);
    expect(answer.compiler).toMatchObject({ name: ERA, chosenBy: 'lwt-regress' });
    expect(answer.compiler.why).toMatch(STRINGS_WHY);
  });
});

describe.runIf(compilers['5.3.0'])('the OCaml 5 pre-releases', () => {
  it('are built with OCaml 5.3.0: their core uses Domain', async () => {
    const r = await runCli(['run', '--lwt-src', domain, '--case', 'wakeup-chain', '--json']);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(one(r.stdout).compiler).toMatchObject({ name: '5.3.0', version: '5.3.0', chosenBy: 'lwt-regress' });
    expect(one(r.stdout).compiler.why).toMatch(
      /^this Lwt uses OCaml 5's Domain \(src\/core\/lwt_mutex\.ml\), and OCaml 4\.13\.1 is not OCaml 5$/,
    );
    expect(one(r.stdout).observed?.outcome).toBe('cycle');
  });
});
