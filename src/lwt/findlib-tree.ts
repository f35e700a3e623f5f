import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A from-source Lwt build is laid out as a findlib directory,
 * `<entry>/lib/lwt/` (the core, `lwt`), `lib/lwt/unix/` (`lwt.unix`) and, for
 * 2.4.4 to 3.3, `lib/lwt/log/` (`lwt.log`): with `<entry>/lib` first on
 * OCAMLPATH, ocamlfind and dune link exactly this Lwt.
 */
export const FINDLIB_DIR = 'lib';

export const packageDir = (entry: string, sub?: 'unix' | 'log') =>
  sub ? join(entry, FINDLIB_DIR, 'lwt', sub) : join(entry, FINDLIB_DIR, 'lwt');

/** The findlib packages a library's sources use, by the stdlib and third-party modules they name. */
const PACKAGE_OF_MODULE: [RegExp, string][] = [
  [/\bUnix\./, 'unix'],
  [/\bBigarray\./, 'bigarray'],
  [/\b(Thread|Mutex|Condition)\./, 'threads.posix'],
  [/\bEndianBigstring\./, 'ocplib-endian.bigstring'],
  [/\bMmap\./, 'mmap'],
  [/\bResult\./, 'result'],
  [/\bReact\./, 'react'],
];

/** Every findlib package a from-source build may use. */
export const LIBRARY_PACKAGES = PACKAGE_OF_MODULE.map(([, pkg]) => pkg);

export function packagesUsed(sources: string[]): string[] {
  const text = sources.join('\n');
  return PACKAGE_OF_MODULE.filter(([re]) => re.test(text)).map(([, pkg]) => pkg);
}

export interface MetaPackage {
  requires: string[];
  archive: string;
}

/** lib/lwt/META: `lwt`, and the sub-packages that built. Native code only: the cases are native programs. */
export async function writeMeta(
  entry: string,
  version: string,
  core: MetaPackage,
  subs: Partial<Record<'unix' | 'log', MetaPackage>>,
): Promise<void> {
  const fields = (p: MetaPackage, indent: string) =>
    [
      `${indent}version = "${version}"`,
      `${indent}requires = "${p.requires.join(' ')}"`,
      `${indent}archive(native) = "${p.archive}"`,
    ].join('\n');
  const meta = [
    '# Lwt built from source by lwt-regress (native code only)',
    `description = "Lwt ${version}, built by lwt-regress"`,
    fields(core, ''),
    ...Object.entries(subs).map(
      ([name, p]) => `package "${name}" (\n  directory = "${name}"\n${fields(p as MetaPackage, '  ')}\n)`,
    ),
  ].join('\n');
  await writeFile(join(packageDir(entry), 'META'), `${meta}\n`);
}
