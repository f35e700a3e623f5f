/**
 * OCaml 5.3.0 (built by the tests from npm's ocaml package): overflows on
 * fiber stacks bounded by OCAMLRUNPARAM=l, the core taken under gdb at the
 * Stack_overflow raise, what Lwt does with the exception, and the evidence
 * that is left when gdb or backtraces are missing.
 */
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Case } from '../src/cases/load-cases.js';
import { CASES_DIR } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';
import { makeSourceTree } from '../src/fixtures/lwt-fixtures.js';
import { buildLwt } from '../src/lwt/lwt-build.js';
import { resolveLwt } from '../src/lwt/resolve.js';
import { type ProbeSettings, probe } from '../src/probe/probe.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { runCli } from './support/cli.js';
import { joined } from './support/regex.js';

const prefix = inject('compilers')['5.3.0'];
let tmp: Awaited<ReturnType<typeof dir>>;
let tree: string;
const previousCache = process.env.LWT_REGRESS_CACHE;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-ocaml5-' });
  process.env.LWT_REGRESS_CACHE = at('cache');
  tree = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
});
afterAll(async () => {
  if (previousCache === undefined) delete process.env.LWT_REGRESS_CACHE;
  else process.env.LWT_REGRESS_CACHE = previousCache;
  await tmp.cleanup();
});

async function run(args: string[], env: Record<string, string> = {}, extendEnv = true) {
  const r = await runCli(['run', '--json', '--ocaml', prefix!, '--artifacts', at('artifacts'), ...args], {
    env: { LWT_REGRESS_CACHE: at('cache'), ...env },
    cwd: tmp.path,
    extendEnv,
  });
  const results = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results, byCase: (name: string) => results.find((x: { case: string }) => x.case === name) };
}

describe.skipIf(!prefix)('OCaml 5.3.0 with Debian Lwt 5.6.1', () => {
  it('judges every case, the overflows by cores taken at the raise: exact depth, cycle, what Lwt did', async () => {
    // Every built-in case, lwt.unix's included (with the ocplib-endian npm run ocaml installs).
    const r = await run(['--lwt-src', tree]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(r.results).toHaveLength(8);
    for (const p of r.results) expect(p, p.reason).toMatchObject({ status: 'pass' });
    // Lwt 5.6.1 catches the wakeup chain's overflow in bind; the others overflow outside its handlers
    // (io-map-tower's in the engine's callback from C, under Lwt_main.run).
    for (const [name, handling] of [
      ['wakeup-chain', 'caught-by-lwt'],
      ['map-tower', 'uncaught'],
      ['seq-of-list', 'uncaught'],
      ['io-map-tower', 'uncaught'],
    ] as const) {
      const p = r.byCase(name);
      expect(p).toMatchObject({ status: 'pass', ocaml: '5.3.0', capture: 'gdb' });
      expect(p.observed).toMatchObject({ outcome: 'cycle', handling });
      expect(p.observed.depthIsLowerBound).toBeFalsy();
      expect(p.observed.depth).toBeGreaterThan(1000);
    }
    expect(r.byCase('wakeup-chain').observed.summary).toMatch(
      /Stack_overflow caught by Lwt, then incomplete: \d+ of 100000/,
    );
    expect(r.byCase('map-tower').observed.summary).toMatch(/Stack_overflow uncaught: the program died of it/);
    expect(r.byCase('seq-of-list').observed.frames).toEqual(['Lwt_seq.of_list']);
    // Entered from C (libev's loop calling back into OCaml): the walk crosses from the fiber to the C stack.
    expect(r.byCase('io-map-tower').observed.entry).toEqual(expect.arrayContaining(['caml_start_program']));
    for (const name of ['mutex-unlock-storm', 'wakeup-later-chain', 'list-map-s', 'mutex-server'])
      expect(r.byCase(name).observed.outcome).toBe('clean');
  });

  it('--stack sets the fiber limit: a larger one holds a deeper cycle', async () => {
    const small = await run(['--lwt-src', tree, '--case', 'seq-of-list', '--stack', '512']);
    const large = await run(['--lwt-src', tree, '--case', 'seq-of-list', '--stack', '2048']);
    const ratio = large.byCase('seq-of-list').observed.depth / small.byCase('seq-of-list').observed.depth;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
  });

  it('without gdb it names what is missing: whether Lwt caught the Stack_overflow, or any evidence', async () => {
    // A PATH with everything but gdb (on merged-/usr Debian, /bin is /usr/bin, so it is left out too).
    const bin = at('no-gdb-bin');
    await mkdir(bin);
    for (const name of await readdir('/usr/bin'))
      if (name !== 'gdb') await symlink(join('/usr/bin', name), join(bin, name));
    const r = await run(['--lwt-src', tree, '--case', 'map-tower,wakeup-chain'], { PATH: bin }, false);
    expect(r.exitCode).toBe(EXIT.untestable);
    // The backtrace Lwt's hook printed shows the cycle, but not who caught the exception, which the manifest names.
    expect(r.byCase('map-tower')).toMatchObject({
      status: 'untestable',
      capture: null,
      observed: { outcome: 'overflow-exception', depthIsLowerBound: true },
    });
    expect(r.byCase('map-tower').observed.summary).toMatch(
      joined(
        /Stack_overflow printed as fatal \(uncaught, or by Lwt\.async_exception_hook\): /,
        /cycle of 4 × at least 256 \(from the printed backtrace\)/,
      ),
    );
    expect(r.byCase('map-tower').reason).toMatch(
      /no core \(gdb is not installed.*\), and the printed Stack_overflow does not tell whether Lwt caught it/,
    );
    expect(r.byCase('wakeup-chain')).toMatchObject({ status: 'untestable' });
    expect(r.byCase('wakeup-chain').reason).toMatch(
      joined(
        /the OCaml 5 evidence is missing: no core \(gdb is not installed.*\), /,
        /and the run printed no Stack_overflow backtrace \(incomplete: .*\); install gdb/,
      ),
    );
  });
});

describe.skipIf(!prefix)('OCaml 5.3.0: what becomes of the Stack_overflow', () => {
  const settings = (capture: ProbeSettings['capture']): ProbeSettings => ({
    stackKiB: 1024,
    capture,
    timeoutMs: 60_000,
    artifactsDir: at('artifacts'),
  });
  async function makeCase(name: string, program: string, expect: unknown[]): Promise<Case> {
    const where = at('cases', name);
    await mkdir(where, { recursive: true });
    await writeFile(join(where, 'case.ml'), program);
    const manifest = parseManifest(name, {
      description: name,
      needs: '>=2.0.0',
      size: { default: 1000000, meaning: 'n' },
      expect,
    });
    return { manifest, dir: where, sources: [join(where, 'case.ml')], stub: join(CASES_DIR, '_stub', 'lwtr_stubs.c') };
  }
  async function probeIt(c: Case, capture: ProbeSettings['capture'] = 'auto') {
    const toolchain = await findToolchain({ ocaml: prefix });
    const source = await resolveLwt({ spec: 'source', src: tree }, toolchain);
    return probe(toolchain, source, await buildLwt(source, toolchain), c, settings(capture));
  }
  const deep =
    'let rec deep n = if n = 0 then 0 else 1 + deep (n - 1)\n' +
    'let () = Printf.printf "%d\\n" (deep (int_of_string Sys.argv.(1)))\n';
  const expectation = (exception: string) => [
    { lwt: '*', ocaml: '>=5.0', outcome: 'cycle', exception, frames: ['Case.deep'] },
  ];

  it('an overflow that escapes is judged uncaught: the core at the raise, then the program dies of it', async () => {
    const escapes = await probeIt(await makeCase('escapes', deep, expectation('uncaught')));
    expect(escapes).toMatchObject({ status: 'pass', capture: 'gdb' });
    expect(escapes.observed).toMatchObject({ outcome: 'cycle', handling: 'uncaught', frames: ['Case.deep'] });
    expect(escapes.observed!.summary).toMatch(/Stack_overflow uncaught: the program died of it/);
    const wrong = await probeIt(await makeCase('escapes-but-expected-caught', deep, expectation('caught-by-lwt')));
    expect(wrong.status).toBe('fail');
    expect(wrong.reason).toMatch(/expected the Stack_overflow to be caught by Lwt, observed it uncaught/);
  });

  it('without gdb, the backtrace is the evidence: the cycle, its depth at least what the runtime kept', async () => {
    const r = await probeIt(
      await makeCase('backtrace-only', deep, [{ lwt: '*', outcome: 'cycle', frames: ['Case.deep'] }]),
      'kernel',
    );
    expect(r).toMatchObject({ status: 'pass', capture: null });
    expect(r.observed).toMatchObject({
      outcome: 'overflow-exception',
      frames: ['Case.deep'],
      depth: 1024,
      depthIsLowerBound: true,
    });
  });

  it('without gdb and without backtraces, the verdict names both missing pieces of evidence', async () => {
    const silent = `let () = Printexc.record_backtrace false\n${deep}`;
    const r = await probeIt(await makeCase('no-backtrace', silent, expectation('uncaught')), 'kernel');
    expect(r.status).toBe('untestable');
    expect(r.reason).toMatch(
      joined(
        /no core \(OCaml 5 raises Stack_overflow instead of dying of a signal, /,
        /so the kernel writes no core \(--capture kernel\)\), and Stack_overflow was printed without a backtrace/,
      ),
    );
  });
});

describe('--ocaml, bad input', () => {
  it('a directory without a compiler: exit 8, one line', async () => {
    const r = await runCli(['run', '--ocaml', '/nonexistent/ocaml']);
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        joined(
          /^lwt-regress: --ocaml \/nonexistent\/ocaml holds no OCaml compiler /,
          /\(no \/nonexistent\/ocaml\/bin\/ocamlopt\)\. Give the directory OCaml was installed into/,
        ),
      ),
    ]);
  });

  it('--ocaml with --switch: exit 2, one line', async () => {
    const r = await runCli(['run', '--ocaml', '/x', '--switch', 'y']);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr.trim()).toMatch(/^lwt-regress: --ocaml and --switch name two different compilers; give one\./);
  });

  it.skipIf(!prefix)('a prefix without findlib of its own is driven by the ocamlfind on PATH', async () => {
    const bare = at('bare-prefix');
    await mkdir(join(bare, 'bin'), { recursive: true });
    for (const name of await readdir(join(prefix!, 'bin')))
      if (name !== 'ocamlfind') await symlink(join(prefix!, 'bin', name), join(bare, 'bin', name));
    const r = await runCli(['run', '--ocaml', bare, '--lwt-src', tree, '--case', 'wakeup-later-chain'], {
      env: { LWT_REGRESS_CACHE: at('cache') },
      cwd: tmp.path,
    });
    expect(r.stderr).toContain(`OCaml 5.3.0 (--ocaml ${bare}, with the ocamlfind on PATH)`);
    expect(r.exitCode).toBe(EXIT.ok);
  });
});
