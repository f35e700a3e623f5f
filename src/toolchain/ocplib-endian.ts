import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import type { Step } from './build-steps.js';

/** The library's modules, in dependency order, and the sub-package each belongs to. */
const MODULES: { name: string; sub: 'main' | 'bigstring' }[] = [
  { name: 'endianString', sub: 'main' },
  { name: 'endianBytes', sub: 'main' },
  { name: 'endianBigstring', sub: 'bigstring' },
];

/**
 * The upstream META (what `dune build -p ocplib-endian` writes), native and
 * bytecode archives only. `bigarray` is required only where the compiler has
 * that findlib package: OCaml 5 removed the library (Bigarray is in Stdlib
 * since 4.07), and a META naming it would make every link fail there.
 */
function meta(version: string, bigarray: boolean): string {
  return [
    `description = "Optimised functions to read and write int16/32/64 from strings and bytes"`,
    `version = "${version}"`,
    `requires = "bytes"`,
    `archive(byte) = "ocplib_endian.cma"`,
    `archive(native) = "ocplib_endian.cmxa"`,
    `package "bigstring" (`,
    `  directory = "bigstring"`,
    `  description = "Optimised functions to read and write int16/32/64 from bigarrays"`,
    `  version = "${version}"`,
    `  requires = "${bigarray ? 'bigarray ' : ''}bytes ocplib-endian"`,
    `  archive(byte) = "ocplib_endian_bigstring.cma"`,
    `  archive(native) = "ocplib_endian_bigstring.cmxa"`,
    ')',
    '',
  ].join('\n');
}

/**
 * ocplib-endian (findlib `ocplib-endian` and `ocplib-endian.bigstring`, which
 * lwt.unix's Lwt_io uses from 2.7 on) from Debian's source, built with the
 * compiler in `prefix` and installed into its site-lib, once: the package's
 * directory is published whole with its own manifest, so a compiler built
 * before this step gains it without being rebuilt, and a later call reuses it.
 * Built without dune: Debian's dune 2.9.3 refuses the upstream dune file on
 * OCaml 5 (it names the removed `bigarray` library), and the library is three
 * modules run through cppo. `source` finds the tarball, only when it is needed.
 * Returns false when it was already installed.
 */
export async function installOcplibEndian(
  prefix: string,
  ocamlVersion: string,
  source: () => Promise<string>,
  step: Step,
): Promise<boolean> {
  const installed = join(prefix, 'lib', 'ocaml', 'site-lib', 'ocplib-endian');
  if (await isComplete(installed)) return false;
  const tarball = await source();
  // Staged beside the compiler, not in its site-lib, where findlib would see a half-written package.
  const staging = stagingFor(`${prefix}-ocplib-endian`);
  const work = join(tmpdir(), `lwt-regress-ocplib-endian-${process.pid}`);
  const bin = join(prefix, 'bin');
  const env = { OCAMLFIND_CONF: join(prefix, 'etc', 'findlib.conf') };
  try {
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    await step('unpack ocplib-endian', 'tar', ['xzf', tarball, '-C', work], work);
    const top = (await readdir(work)).find((f) => f.startsWith('ocplib-endian'));
    const src = join(work, top!, 'src');
    const version = top!.replace(/^ocplib-endian-/, '');
    // cppo as upstream's dune rules run it: the version only where they pass it (#if OCAML_VERSION).
    await step('ocplib-endian: cppo', 'cppo', ['common_401.cppo.ml', '-o', 'common_401.ml'], src);
    for (const { name } of MODULES) {
      const versioned = name === 'endianBigstring' ? [] : ['-V', `OCAML:${ocamlVersion}`];
      await step(`ocplib-endian: cppo ${name}`, 'cppo', [...versioned, `${name}.cppo.ml`, '-o', `${name}.ml`], src);
      await step(`ocplib-endian: cppo ${name}.mli`, 'cppo', [`${name}.cppo.mli`, '-o', `${name}.mli`], src);
      await step(`ocplib-endian: ${name}.mli`, join(bin, 'ocamlc.opt'), ['-g', '-c', `${name}.mli`], src);
      await step(`ocplib-endian: ${name}.ml`, join(bin, 'ocamlc.opt'), ['-g', '-c', `${name}.ml`], src);
      await step(
        `ocplib-endian: ${name}.ml (native)`,
        join(bin, 'ocamlopt.opt'),
        ['-g', '-inline', '1000', '-c', `${name}.ml`],
        src,
      );
    }
    for (const [sub, archive] of [
      ['main', 'ocplib_endian'],
      ['bigstring', 'ocplib_endian_bigstring'],
    ] as const) {
      const names = MODULES.filter((m) => m.sub === sub).map((m) => m.name);
      const dir = sub === 'main' ? staging : join(staging, sub);
      await mkdir(dir, { recursive: true });
      const byte = ['-a', '-o', join(dir, `${archive}.cma`), ...names.map((n) => `${n}.cmo`)];
      const native = ['-a', '-o', join(dir, `${archive}.cmxa`), ...names.map((n) => `${n}.cmx`)];
      await step(`ocplib-endian: ${archive}.cma`, join(bin, 'ocamlc.opt'), byte, src);
      await step(`ocplib-endian: ${archive}.cmxa`, join(bin, 'ocamlopt.opt'), native, src);
      for (const n of names)
        for (const ext of ['.mli', '.cmi', '.cmx']) await copyFile(join(src, n + ext), join(dir, n + ext));
    }
    const bigarray = await execa(join(bin, 'ocamlfind'), ['query', 'bigarray'], { env, reject: false });
    await writeFile(join(staging, 'META'), meta(version, bigarray.exitCode === 0));
    await publishDir(staging, installed);
    return true;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}
