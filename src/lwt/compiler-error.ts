/**
 * The compiler's first error with its location: OCaml's `File "x.ml", line 3,
 * characters 2-5:` line joined to its `Error: …` line, or a C compiler's
 * `x.c:12:5: error: …` line, which carries its own location.
 */
export function firstError(log: string): string {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => /^Error|error:/i.test(l.trim()));
  if (i < 0) return lines.find((l) => l.trim())?.trim() ?? 'failed';
  let at = i - 1;
  while (at >= 0 && !/^File "/.test(lines[at]!)) at--;
  const location = at >= 0 && i - at <= 4 ? `${lines[at]!.trim()} ` : '';
  return `${location}${lines[i]!.trim()}`;
}
