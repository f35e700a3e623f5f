/**
 * The JSON each command prints is the one docs/results-schema.md documents
 * (every field there, nothing undocumented), and the npm package ships only
 * what runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/paths.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let doc: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-contracts-' });
  doc = await readFile(join(projectRoot(), 'docs', 'results-schema.md'), 'utf8');
});
afterAll(() => tmp.cleanup());

/** The field names of the table that follows a heading (or a bold label) in the doc. */
function documented(after: string): string[] {
  const start = doc.indexOf(after);
  expect(start, `docs/results-schema.md has ${after}`).toBeGreaterThanOrEqual(0);
  const rows = doc.slice(start).split('\n\n')[1]!.split('\n').slice(2);
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!));
}

describe('the JSON is the documented one', () => {
  it('run: the object and every Result', async () => {
    const r = await runCli(['run', '--json', '--case', 'wakeup-chain', '--artifacts', at('a')], {
      env: { LWT_REGRESS_CACHE: at('cache') },
    });
    const json = JSON.parse(r.stdout);
    expect(json.schema).toBe('lwt-regress/run');
    expect(Object.keys(json).sort()).toEqual(
      documented('schema `lwt-regress/run`')
        .filter((k) => k !== 'interrupted')
        .sort(),
    );
    // machineExit is there only when a compiler a tree needs was not built, dependent when a package on Lwt was not.
    expect(Object.keys(json.results[0]).sort()).toEqual(
      documented('**Result**')
        .filter((k) => k !== 'machineExit' && k !== 'dependent')
        .sort(),
    );
  });

  it('gate and check', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache') };
    const gate = JSON.parse(
      (
        await runCli(
          [
            'gate',
            '--json',
            '--baseline',
            'installed',
            '--candidate',
            'installed',
            '--case',
            'wakeup-chain',
            '--artifacts',
            at('a'),
          ],
          { env },
        )
      ).stdout,
    );
    expect(Object.keys(gate).sort()).toEqual(
      documented('schema `lwt-regress/gate`')
        .filter((k) => k !== 'interrupted')
        .sort(),
    );
    await execa('sh', ['-c', 'printf "let () = print_endline \\"hi\\"\\n" > hi.ml && ocamlfind ocamlopt hi.ml -o hi'], {
      cwd: tmp.path,
    });
    const check = JSON.parse(
      (await runCli(['check', '--json', '--artifacts', at('a'), '--', at('hi')], { env })).stdout,
    );
    expect(Object.keys(check).sort()).toEqual(documented('schema `lwt-regress/check`').sort());
  });
});

describe('the npm package', () => {
  it('ships the built code, the cases and the docs, not the tests, benchmarks, sources or maps', async () => {
    const { stdout } = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectRoot() });
    const files = (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path);
    expect(files).toContain('dist/harness/cli.js');
    expect(files).toContain('ocaml-cases/mutex-unlock-storm/case.json');
    expect(files).toContain('ocaml-cases/_stub/lwtr_keep_sigsegv.c');
    expect(
      files.filter((f) => /^(test|bench|src|harness)\/|\.ts$|\.map$|^dist\/(test|bench|typecheck)\//.test(f)),
    ).toEqual([]);
  });
});
