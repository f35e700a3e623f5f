/**
 * What a Lwt tree needs of its compiler, read from its sources
 * (src/lwt/tree-needs.ts): trees written here in the layouts of the eras,
 * one file each, where only code counts, not comments or strings.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeNeeds } from '../src/lwt/tree-needs.js';

let tmp: Awaited<ReturnType<typeof dir>>;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-tree-needs-' });
});
afterAll(() => tmp.cleanup());

let n = 0;
/** A tree of the given files (path → text), with a core in src/core/ unless `core` is false (2.0's layout). */
async function tree(files: Record<string, string>, core = true): Promise<string> {
  const root = join(tmp.path, `t${n++}`);
  const all = { ...(core ? { 'src/core/lwt.ml': 'let return x = x\n' } : {}), ...files };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
const kinds = async (root: string, beyondCore = true) => (await treeNeeds(root, beyondCore)).map((x) => x.kind);

describe('what a tree needs of its compiler', () => {
  it('nothing, for plain code; nothing at all for a tree without a core', async () => {
    expect(await kinds(await tree({ 'src/unix/lwt_unix.ml': 'let x = Bytes.create 1\n' }))).toEqual([]);
    expect(await treeNeeds(join(tmp.path, 'nowhere'), true)).toEqual([]);
  });

  it('unsafe strings where the library writes into them, only when a case links more than the core', async () => {
    const root = await tree({ 'src/unix/lwt_bytes.ml': 'let s = String.create 3\nlet () = String.set s 0 c\n' });
    expect(await treeNeeds(root, true)).toEqual([
      { kind: 'unsafe-strings', why: 'this Lwt writes into strings (src/unix/lwt_bytes.ml)' },
    ]);
    expect(await kinds(root, false)).toEqual([]);
    // 2.0 keeps lwt.unix in src/, beside the core.
    const files = { 'src/lwt.mllib': 'Lwt\n', 'src/lwt.ml': 'let x = 1\n', 'src/lwt_unix.mllib': 'Lwt_unix\n' };
    const old = await tree({ ...files, 'src/lwt_unix.ml': 'let s = String.create 1\n' }, false);
    expect(await treeNeeds(old, true)).toEqual([
      { kind: 'unsafe-strings', why: 'this Lwt writes into strings (src/lwt_unix.ml)' },
    ]);
  });

  it("camlp4 for pa_lwt's syntax and pa_optcomp's directives, not cppo's nor the configuration program's", async () => {
    expect(await kinds(await tree({ 'src/core/lwt_mutex.ml': 'let f m = lwt () = lock m in return ()\n' }))).toEqual([
      'camlp4',
    ]);
    expect(await kinds(await tree({ 'src/core/lwt_pool.ml': 'let f () = try_lwt g () with _ -> h ()\n' }))).toEqual([
      'camlp4',
    ]);
    expect(await kinds(await tree({ 'src/unix/lwt_bytes.ml': '#if windows\nlet x = 1\n#endif\n' }))).toEqual([
      'camlp4',
    ]);
    expect(
      await kinds(await tree({ 'src/unix/lwt_unix.cppo.ml': '#if OCAML_VERSION >= (4, 3, 0)\n#endif\n' })),
    ).toEqual([]);
    expect(await kinds(await tree({ 'src/unix/config/discover.ml': '#use "topfind"\n#let x = 1\n' }))).toEqual([]);
  });

  it('OCaml 5 for a core using Domain, OCaml 4 for Pervasives; comments and strings do not count', async () => {
    const five = await tree({ 'src/core/domain_map.ml': 'let id () = Domain.self ()\n' });
    expect(await treeNeeds(five, false)).toEqual([
      { kind: 'ocaml-5', why: "this Lwt uses OCaml 5's Domain (src/core/domain_map.ml)" },
    ]);
    expect(await kinds(await tree({ 'src/core/lwt.ml': 'let c = Pervasives.compare\n' }), false)).toEqual(['ocaml-4']);
    const quiet = await tree({
      'src/core/lwt.ml': '(* [Pervasives.result], Domain.self, String.create *)\nlet s = "lwt x = y Pervasives."\n',
    });
    expect(await kinds(quiet)).toEqual([]);
  });
});
