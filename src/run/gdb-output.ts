/**
 * A program run under gdb shares its output with gdb: these are gdb's own
 * lines (its breakpoints, threads coming and going — lwt.unix's workers —,
 * its inferior's exit, the core it saved), to be taken out before the
 * program's output is read (a clean run's last line).
 */
const GDB_LINE = new RegExp(
  `^(?:${[
    'Breakpoint \\d+[ ,]',
    '\\[Inferior \\d+ ',
    '\\[Thread ',
    '\\[New (?:Thread|process) ',
    'Using host libthread_db',
    'Saved corefile',
    'Program (?:received|terminated)',
    'Continuing\\.',
    'warning: ',
    "You can't do that without a process to debug",
  ].join('|')})`,
);

/** The program's own output, without gdb's. */
export function withoutGdbLines(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !GDB_LINE.test(l))
    .join('\n');
}
