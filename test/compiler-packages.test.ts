/**
 * The findlib packages `npm run ocaml` adds to each compiler it builds
 * (ocplib-endian, for lwt.unix): installed into a compiler already in the
 * cache without rebuilding it, once, and again only when broken. Each test
 * works on a hard-linked copy of a built compiler in a cache of its own, so
 * the shared compilers are never touched (the step only adds directories).
 */
import { mkdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SUITE_COMPILERS } from './support/compilers.js';

const INSTALL = fileURLToPath(new URL('../dist/harness/ocaml-install.js', import.meta.url));
const compilers = inject('compilers');
let tmp: Awaited<ReturnType<typeof dir>>;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-compiler-packages-' });
});
afterAll(() => tmp.cleanup());

describe.each(SUITE_COMPILERS)('OCaml %s: ocplib-endian', (version) => {
  const original = compilers[version];
  const cache = () => join(tmp.path, version);
  const prefix = () => join(cache(), 'ocaml', version);
  const pkg = () => join(prefix(), 'lib', 'ocaml', 'site-lib', 'ocplib-endian');
  // `npm run ocaml -- VERSION`, as a user runs it.
  const npmRunOcaml = () =>
    execa(process.execPath, [INSTALL, version], { env: { LWT_REGRESS_CACHE: cache() }, reject: false });

  it.skipIf(!original)('a compiler built without it gains it, once; a broken one is installed again', async () => {
    await mkdir(join(cache(), 'ocaml'), { recursive: true });
    await execa('cp', ['-al', original!, prefix()]);
    // The copy's own directory entries only: the files stay the shared compiler's.
    await rm(pkg(), { recursive: true, force: true });

    const first = await npmRunOcaml();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(prefix());
    expect(first.stderr).toMatch(/ocplib-endian installed: [\d.]+ s/);
    expect(first.stderr).toContain(`already built (OCaml ${version})`);
    const meta = await readFile(join(pkg(), 'META'), 'utf8');
    expect(meta).toMatch(/^package "bigstring" \(/m);
    // OCaml 5 has no bigarray library (Bigarray is in Stdlib): the META asks for it on 4.x only.
    const requires = /package "bigstring" \([^)]*requires = "([^"]*)"/.exec(meta)![1];
    expect(requires).toBe(version.startsWith('5.') ? 'bytes ocplib-endian' : 'bigarray bytes ocplib-endian');
    // The compiler's own findlib finds it and its archives, with everything it requires.
    const query = await execa(join(prefix(), 'bin', 'ocamlfind'), ['query', '-r', 'ocplib-endian.bigstring'], {
      env: { OCAMLFIND_CONF: join(prefix(), 'etc', 'findlib.conf') },
    });
    expect(query.stdout).toContain('ocplib-endian/bigstring');
    for (const archive of ['ocplib_endian.cmxa', 'ocplib_endian.a', 'bigstring/ocplib_endian_bigstring.cmxa'])
      expect((await stat(join(pkg(), archive))).size).toBeGreaterThan(0);

    const marker = await stat(join(pkg(), '.complete'));
    const second = await npmRunOcaml();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('ocplib-endian');
    expect(await stat(join(pkg(), '.complete'))).toMatchObject({ ino: marker.ino, mtimeMs: marker.mtimeMs });

    // A file cut short: the package is installed again, not used.
    await truncate(join(pkg(), 'ocplib_endian.cmxa'), 10);
    const third = await npmRunOcaml();
    expect(third.exitCode, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/ocplib-endian installed/);
    expect((await stat(join(pkg(), 'ocplib_endian.cmxa'))).size).toBeGreaterThan(10);
  });
});
