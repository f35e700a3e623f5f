import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { hardLimit } from './hard-limits.js';

export type CoreDestination =
  | {
      kind: 'file' /** Where the core of a process lands. */;
      pathFor(pid: number, executable: string, cwd: string): string;
    }
  | { kind: 'unusable'; why: string };

/**
 * Reads /proc/sys/kernel/core_pattern (and the hard core limit): a plain pattern means the kernel
 * writes a file we can pick up; a pipe (apport, systemd-coredump) or a
 * specifier we cannot predict means we have to capture through gdb.
 */
export async function kernelCoreDestination(): Promise<CoreDestination> {
  // A hard limit of 0 (Docker's --ulimit core=0, systemd's LimitCORE=0) cannot be raised: the kernel writes nothing.
  if (hardLimit('Max core file size') === 0)
    return { kind: 'unusable', why: 'the hard core-file size limit is 0 (ulimit -H -c), so the kernel writes no core' };
  let pattern: string;
  let usesPid = false;
  try {
    pattern = (await readFile('/proc/sys/kernel/core_pattern', 'utf8')).trim();
    usesPid = (await readFile('/proc/sys/kernel/core_uses_pid', 'utf8').catch(() => '0')).trim() === '1';
  } catch {
    return { kind: 'unusable', why: '/proc/sys/kernel/core_pattern cannot be read' };
  }
  if (pattern.startsWith('|'))
    return {
      kind: 'unusable',
      why: `cores are piped to ${pattern.slice(1).split(' ')[0]} (core_pattern '${pattern}')`,
    };
  const unknown = pattern.match(/%[^pPeEh%]/g);
  if (unknown)
    return {
      kind: 'unusable',
      why: `core_pattern '${pattern}' uses ${unknown.join(', ')}, which lwt-regress cannot predict`,
    };
  return {
    kind: 'file',
    pathFor(pid, executable, cwd) {
      const name = basename(executable);
      let path = pattern.replace(/%[pPeEh%]/g, (spec) =>
        spec === '%p' || spec === '%P'
          ? String(pid)
          : spec === '%e'
            ? name.slice(0, 15)
            : spec === '%E'
              ? executable.replaceAll('/', '!')
              : spec === '%h'
                ? hostname()
                : '%',
      );
      if (usesPid && !/%[pP]/.test(pattern)) path += `.${pid}`;
      return isAbsolute(path) ? path : join(cwd, path);
    },
  };
}
