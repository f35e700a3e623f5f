import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../src/cases/load-cases.js';
import { CASES_DIR } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';
import { buildLwt } from '../src/lwt/lwt-build.js';
import { resolveLwt } from '../src/lwt/resolve.js';
import { probe } from '../src/probe/probe.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const previousCache = process.env.LWT_REGRESS_CACHE;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-evidence-' });
  process.env.LWT_REGRESS_CACHE = join(tmp.path, 'cache');
});
afterAll(async () => {
  if (previousCache === undefined) delete process.env.LWT_REGRESS_CACHE;
  else process.env.LWT_REGRESS_CACHE = previousCache;
  await tmp.cleanup();
});

/** A case written here, outside ocaml-cases/, to make the program do what the test needs. */
async function makeCase(name: string, program: string, expect: unknown[]): Promise<Case> {
  const where = join(tmp.path, 'cases', name);
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

async function probeInstalled(testCase: Case, timeoutMs = 60_000, capture: 'auto' | 'gdb' = 'auto') {
  const toolchain = await findToolchain();
  const source = await resolveLwt({ spec: 'installed' }, toolchain);
  return probe(toolchain, source, await buildLwt(source, toolchain), testCase, {
    stackKiB: 1024,
    capture,
    timeoutMs,
    artifactsDir: join(tmp.path, 'artifacts'),
  });
}

describe('evidence other than a core', () => {
  it('a case that knows nothing of lwt-regress still gets its SIGSEGV reset: the overflow dumps a core', async () => {
    const c = await makeCase(
      'exception',
      'let rec deep n = if n = 0 then 0 else 1 + deep (n - 1)\nlet () = Printf.printf "%d\\n" (deep (int_of_string Sys.argv.(1) * 100))\n',
      [{ lwt: '*', outcome: 'cycle', frames: [] }],
    );
    const r = await probeInstalled(c);
    // Without the harness's reset module, OCaml's handler would turn this into an uncaught Stack_overflow.
    expect(r.observed).toMatchObject({ outcome: 'cycle', frames: ['Case.deep'] });
    expect(r.capture).not.toBeNull();
    expect(r.status).toBe('pass');
  });

  it('a run that does not end in time is a hang, and fails a clean expectation', async () => {
    const c = await makeCase('hang', 'let () = while true do () done\n', [{ lwt: '*', outcome: 'clean' }]);
    const r = await probeInstalled(c, 1500);
    expect(r.observed).toMatchObject({ outcome: 'hang', summary: 'no exit within 1.5 s' });
    expect(r.status).toBe('fail');
    expect(r.artifacts).not.toBeNull();
  });

  it('a hang under gdb is killed with gdb: no program is left running', async () => {
    const c = await makeCase('hang-under-gdb', 'let () = while true do () done\n', [{ lwt: '*', outcome: 'clean' }]);
    const r = await probeInstalled(c, 3000, 'gdb');
    expect(r.observed).toMatchObject({ outcome: 'hang' });
    const left = await execa('pgrep', ['-f', 'hang-under-gdb'], { reject: false });
    expect(left.stdout.trim()).toBe('');
  });

  it('work left undone is incomplete, not clean', async () => {
    const c = await makeCase('incomplete', 'let () = print_endline "incomplete: 3 of 4"; exit 3\n', [
      { lwt: '*', outcome: 'clean' },
    ]);
    const r = await probeInstalled(c);
    expect(r.observed).toMatchObject({ outcome: 'incomplete', summary: 'incomplete: 3 of 4' });
    expect(r.status).toBe('fail');
  });
});

describe('an OCaml 5 compiler', () => {
  it('is refused with the reason and what to do instead', async () => {
    // A stand-in ocamlfind that answers like an OCaml 5 toolchain: no OCaml 5 compiler can be installed here.
    const bin = join(tmp.path, 'ocaml5-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'ocamlfind'), '#!/bin/sh\necho 5.2.0\n');
    await chmod(join(bin, 'ocamlfind'), 0o755);
    const r = await runCli(['run', '--lwt', 'installed'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /is OCaml 5\.2\.0: OCaml 5 runs OCaml code on heap-allocated fiber stacks, so ulimit -s does not bound its recursion.*Use an OCaml 4\.x compiler/,
    );
  });
});
