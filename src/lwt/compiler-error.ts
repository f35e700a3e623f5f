/**
 * The compiler's first error with its location: OCaml's `File "x.ml", line 3,
 * characters 2-5:` line (above the quoted source) joined to its `Error: …`
 * line and the indented lines that continue it, or a C compiler's
 * `x.c:12:5: error: …` line, which carries its own location.
 */
export function firstError(log: string): string {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => /^Error|error:/i.test(l.trim()));
  if (i < 0) return lines.find((l) => l.trim())?.trim() ?? 'failed';
  let at = i - 1;
  while (at >= 0 && i - at <= 16 && !/^File "/.test(lines[at]!) && !/^Error|error:/i.test(lines[at]!)) at--;
  const location = at >= 0 && /^File "/.test(lines[at]!) ? `${lines[at]!.trim()} ` : '';
  let end = i + 1;
  while (end < lines.length && end - i <= 3 && /^\s+\S/.test(lines[end]!) && /^Error/.test(lines[i]!.trim())) end++;
  return [location + lines[i]!.trim(), ...lines.slice(i + 1, end).map((l) => l.trim())].join(' ');
}
