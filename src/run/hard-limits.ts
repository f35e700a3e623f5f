import { readFileSync } from 'node:fs';

/**
 * This process's hard limit on a resource, in bytes (Infinity when
 * unlimited), from /proc/self/limits (proc(5): "Max core file size",
 * "Max stack size"): a run can lower its soft limits but never raise them
 * above these without privilege, and a child inherits them.
 */
export function hardLimit(name: 'Max core file size' | 'Max stack size'): number {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  const line = text.split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
}
