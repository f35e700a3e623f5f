import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface SourceFix {
  file: string;
  from: string;
  to: string;
  why: string;
}

/**
 * Edits older OCaml sources need to build against today's C library. Each
 * applies only where its text is found, so newer sources pass untouched.
 */
const FIXES: SourceFix[] = [
  {
    // OCaml 4.10 to 4.12.0 size the alternate signal stack with SIGSTKSZ, which
    // glibc 2.34 made a sysconf() call under _GNU_SOURCE (runtime/signals_nat.c).
    file: 'runtime/signals_nat.c',
    from: 'static char sig_alt_stack[SIGSTKSZ];',
    to: 'static char sig_alt_stack[65536]; /* lwt-regress: SIGSTKSZ is no constant with glibc >= 2.34 */',
    why: 'glibc 2.34 made SIGSTKSZ a run-time value',
  },
  {
    file: 'runtime/signals_nat.c',
    from: 'stk.ss_sp = sig_alt_stack;\n    stk.ss_size = SIGSTKSZ;',
    to: 'stk.ss_sp = sig_alt_stack;\n    stk.ss_size = sizeof(sig_alt_stack);',
    why: 'the alternate stack is the fixed-size array above',
  },
];

/** Applies the fixes a source tree needs; returns what was changed and why. */
export async function applySourceFixes(source: string): Promise<string[]> {
  const applied: string[] = [];
  for (const fix of FIXES) {
    const path = join(source, fix.file);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined || !text.includes(fix.from)) continue;
    await writeFile(path, text.replace(fix.from, fix.to));
    applied.push(`${fix.file}: ${fix.why}`);
  }
  return applied;
}
