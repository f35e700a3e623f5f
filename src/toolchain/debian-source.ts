import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { cacheRoot, projectRoot } from '../paths.js';

/**
 * One of Debian's source packages that a compiler build uses: the name of
 * its upstream tarball (`ocaml_4.13.1.orig.tar.gz` starts with `ocaml_`)
 * and the source package `apt-get source` knows it by.
 */
export interface DebianPackage {
  tarball: string;
  sourcePackage: string;
}

const ORIG = /\.orig\.tar\.(gz|bz2|xz)$/;

/**
 * Where ./setup puts them (test/fixtures/debian/, or $LWT_REGRESS_DEBIAN_SOURCES),
 * and where lwt-regress fetches the ones it lacks (the cache's debian/).
 */
export function debianSourceDirs(): string[] {
  const given = process.env.LWT_REGRESS_DEBIAN_SOURCES ?? join(projectRoot(), 'test', 'fixtures', 'debian');
  return [given, join(cacheRoot(), 'debian')];
}

async function findTarball(p: DebianPackage): Promise<string | undefined> {
  for (const dir of debianSourceDirs()) {
    const name = (await readdir(dir).catch(() => [] as string[])).find(
      (f) => f.startsWith(`${p.tarball}_`) && ORIG.test(f),
    );
    if (name) return join(dir, name);
  }
  return undefined;
}

/**
 * The package's upstream tarball: one ./setup downloaded, else one fetched
 * now with `apt-get source --download-only` into the cache (Debian's
 * archive serves sources only with a deb-src entry, which ./setup adds).
 * A fetch that cannot be made is one line naming the fix, exit 8 (10 for a
 * full or read-only disk), never a wrong verdict.
 */
export async function debianTarball(p: DebianPackage, log: (line: string) => void = () => {}): Promise<string> {
  const found = await findTarball(p);
  if (found) return found;
  const dir = join(cacheRoot(), 'debian');
  const work = join(dir, `fetch-${process.pid}-${p.sourcePackage}`);
  const started = performance.now();
  try {
    await mkdir(work, { recursive: true });
    const r = await execa('apt-get', ['source', '--download-only', '-qq', p.sourcePackage], {
      cwd: work,
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0) throw fetchFailed(p, r.all ?? '', (r as { code?: string }).code);
    for (const name of await readdir(work)) if (ORIG.test(name)) await rename(join(work, name), join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' || code === 'EDQUOT')
      throw new UserError(
        `cannot fetch Debian's ${p.sourcePackage} source into ${dir}: ${code}`,
        EXIT.environment,
        'Free some space, or set LWT_REGRESS_CACHE to a writable place with room',
      );
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const fetched = await findTarball(p);
  if (!fetched) throw fetchFailed(p, `apt-get source ${p.sourcePackage} gave no ${p.tarball}_*.orig.tar.*`);
  log(`  fetched Debian's ${p.sourcePackage} source: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return fetched;
}

/** Why apt-get could not fetch it, in the words of the fix. */
function fetchFailed(p: DebianPackage, output: string, code?: string): UserError {
  const where = debianSourceDirs()[0];
  const manual = `or put ${p.tarball}_*.orig.tar.* (apt-get source --download-only ${p.sourcePackage}) into ${where}`;
  if (code === 'ENOENT')
    return new UserError(
      `Debian's ${p.sourcePackage} source is needed and apt-get is not installed`,
      EXIT.toolchain,
      `Fetch it on a Debian or Ubuntu machine, ${manual}`,
    );
  const first = output.split('\n').find((l) => /^E:|^W:.*(?:Failed|resolve)/.test(l)) ?? output.trim().split('\n')[0];
  const fix = /deb-src|Unable to find a source package/i.test(output)
    ? 'Run ./setup as root once: it adds the deb-src entry apt needs'
    : /resolv|Failed to fetch|Could not connect|Temporary failure/i.test(output)
      ? "Connect this machine to Debian's archive for one fetch (later runs reuse it)"
      : 'Check apt-get source';
  return new UserError(
    `cannot fetch Debian's ${p.sourcePackage} source with apt-get: ${first ?? 'no output'}`,
    EXIT.toolchain,
    `${fix}, ${manual}`,
  );
}
