import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../src/cases/load-cases.js';
import { CASES_DIR } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';
import { buildLwt } from '../src/lwt/lwt-build.js';
import { resolveLwt } from '../src/lwt/resolve.js';
import { probe } from '../src/probe/probe.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';

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
      'let rec deep n = if n = 0 then 0 else 1 + deep (n - 1)\n' +
        'let () = Printf.printf "%d\\n" (deep (int_of_string Sys.argv.(1) * 100))\n',
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
