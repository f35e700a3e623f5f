/**
 * The regression suite: one test per (compiler, Lwt version, case), named
 * `ocaml 4.13.1 › lwt 5.6.1 › mutex-unlock-storm › clean expected`. The
 * selection comes from `npm test -- --lwt … --case …` (harness/test.ts
 * resolves it before vitest starts); without one, every case runs against the
 * installed Lwt with the compiler on PATH, and against Debian's Lwt 5.6.1
 * source tree with each compiler the tests built (OCaml 4.14.1 and 5.3.0),
 * where every case must be judged: an untestable one fails there.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, expect, inject, it } from 'vitest';
import { expectationFor } from '../src/cases/manifest.js';
import { makeSourceTree } from '../src/fixtures/lwt-fixtures.js';
import { buildLwt, type LwtBuildResult } from '../src/lwt/lwt-build.js';
import type { LwtSource } from '../src/lwt/source.js';
import { inRange } from '../src/lwt/version.js';
import { invalidResult, probe } from '../src/probe/probe.js';
import { type PreparedSuite, prepareSuite, probePlan, type SuiteRequest, withoutCompiler } from '../src/probe/suite.js';
import type { Toolchain } from '../src/toolchain/ocamlfind.js';
import { SUITE_COMPILERS } from './support/compilers.js';
import { defaultSelection } from './support/selection.js';

const chosen = inject('selection');
const compilers = inject('compilers');
const resultsFile = inject('resultsFile');
const work = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-suite-' });
afterAll(() => work.cleanup());

/** `judged`: an untestable probe fails instead of being skipped. */
const selections: { request: SuiteRequest; judged: boolean }[] = [
  { request: chosen ?? defaultSelection(), judged: false },
];
const built = SUITE_COMPILERS.filter((v) => compilers[v]);
if (!chosen && built.length > 0) {
  const tree = await makeSourceTree(join(work.path, 'lwt-5.6.1'), '5.6.1');
  // Debian's Lwt 5.6.1 builds whole (lwt.unix included) with the built compilers: nothing may be left unjudged.
  for (const version of built)
    selections.push({
      request: {
        ...defaultSelection(),
        toolchain: { ocaml: compilers[version]! },
        lwt: [{ spec: 'source', src: tree }],
      },
      judged: true,
    });
}

for (const { request, judged } of selections) suite(await prepareSuite(request), request, judged);

function suite(prepared: PreparedSuite, selection: SuiteRequest, judged: boolean) {
  const builds = new Map<string, Promise<LwtBuildResult>>();
  const buildTimeCounted = new Set<string>();
  /** Each Lwt is built once per suite; its build time is reported with the first case only. */
  async function buildOnce(source: LwtSource, toolchain: Toolchain): Promise<LwtBuildResult> {
    if (!builds.has(source.label)) builds.set(source.label, buildLwt(source, toolchain));
    const build = await builds.get(source.label)!;
    const first = !buildTimeCounted.has(source.label);
    buildTimeCounted.add(source.label);
    return first ? build : { ...build, ms: 0 };
  }

  for (const { source, item } of probePlan(prepared)) {
    // The compiler this Lwt is built with: the suite's, or the one lwt-regress chose for its tree.
    const chosen = prepared.compilers.chosen(source);
    const ocaml = chosen?.version ?? prepared.toolchain.ocamlVersion;
    const name = chosen?.name ?? prepared.toolchain.name;
    if (!('manifest' in item)) {
      // A case whose manifest is broken is a failing test, with the reason: a suite must not silently shrink.
      it(`ocaml ${name} › lwt ${source.label} › ${item.name} › invalid case`, async () => {
        const result = invalidResult(prepared.toolchain, source, item);
        if (resultsFile) await appendFile(resultsFile, `${JSON.stringify(result)}\n`);
        expect.fail(result.reason);
      });
      continue;
    }
    const testCase = item;
    const expectation = inRange(source.version, testCase.manifest.needs)
      ? expectationFor(testCase.manifest, source.version, ocaml)
      : undefined;
    const expecting = expectation ? `${expectation.outcome} expected` : 'not applicable';
    const title = `ocaml ${name} › lwt ${source.label} › ${testCase.manifest.name} › ${expecting}`;
    it(title, async (ctx) => {
      const compiler = await prepared.compilers.toolchainFor(source);
      const toolchain = compiler.ok ? compiler.toolchain : prepared.toolchain;
      const build = compiler.ok
        ? await buildOnce(source, toolchain)
        : { ok: false as const, error: compiler.error, cached: false, ms: 0 };
      const probed = await probe(toolchain, source, build, testCase, selection.settings);
      const result = compiler.ok ? probed : withoutCompiler(probed, compiler);
      if (resultsFile) await appendFile(resultsFile, `${JSON.stringify(result)}\n`);
      // Not applicable and untestable are neither a pass nor a fail: vitest counts them as skipped.
      if (result.status === 'not-applicable' || (result.status === 'untestable' && !judged))
        ctx.skip(`${result.status}: ${result.reason}`);
      expect(
        result.status,
        `${result.reason}${result.artifacts ? `\n  kept: ${result.artifacts}` : ''}\n  reproduce: ${result.reproduce}`,
      ).toBe('pass');
    });
  }
}
