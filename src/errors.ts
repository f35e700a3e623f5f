/**
 * Every failure a user can cause or fix ends up as a UserError: one line that
 * says what is wrong and what to do, plus a documented exit code. Anything else
 * escaping to the CLI is a bug in lwt-regress.
 */
export const EXIT = {
  ok: 0,
  /** Analysis or run finished, but the verdict is a failure (tests, gate). */
  failed: 1,
  usage: 2,
  /** A file could not be read (missing, permission, a directory). */
  unreadable: 3,
  /** Not an ELF file, or an ELF file of a kind we do not read (32-bit, big-endian, not x86-64). */
  unsupportedFormat: 4,
  /** An ELF file that is cut short or whose tables point outside the file. */
  corrupt: 5,
  /** The core was not produced by the given executable. */
  mismatch: 6,
  /** The core holds no memory for the stack the registers point at. */
  noStack: 7,
  /** A required tool (ocamlfind, opam, git, gdb) is missing or unusable. */
  toolchain: 8,
  /** Nothing failed, but some Lwt version or case could not be tested (build failure). */
  untestable: 9,
  /** The machine got in the way: no space left, a read-only file system, no permission to write. */
  environment: 10,
  /** A fetch failed: the network (or the remote) could not be reached. */
  network: 11,
  /** Interrupted by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal's number, as shells report it. */
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What the user can do about it, shown after the message. */
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** The one line the CLI prints. */
  describe(): string {
    return this.fix ? `${this.message.replace(/\.$/, '')}. ${this.fix}` : this.message;
  }
}

/** Thrown by the pure readers: the byte source ends or points out of range. */
export class CorruptInputError extends UserError {
  constructor(what: string, detail: string) {
    super(
      `${what} is truncated or corrupt: ${detail}`,
      EXIT.corrupt,
      'Re-capture the core (a full dump, not cut short by a size limit) or check that the file was copied completely',
    );
    this.name = 'CorruptInputError';
  }
}

/** What an operating-system error on a path means to the user, and whose fix it is. */
const PATH_ERRORS: Record<string, { what: string; code: ExitCode }> = {
  ENOSPC: { what: 'no space is left on the device', code: EXIT.environment },
  EDQUOT: { what: 'the disk quota is exhausted', code: EXIT.environment },
  EROFS: { what: 'it is on a read-only file system', code: EXIT.environment },
  EACCES: { what: 'permission denied', code: EXIT.environment },
  EPERM: { what: 'operation not permitted', code: EXIT.environment },
  EISDIR: { what: 'it is a directory, not a file', code: EXIT.usage },
  ENOTDIR: { what: 'a part of the path is a file, not a directory', code: EXIT.usage },
  EEXIST: { what: 'a file is in the way', code: EXIT.usage },
  ENOENT: { what: 'it does not exist', code: EXIT.unreadable },
};

/**
 * An operating-system error (ENOSPC, EROFS, EACCES, …) on a path as a one-line
 * user error, or undefined when it is not one of those (then it is a bug).
 */
export function pathError(error: unknown, fix = 'Free some space or choose another place'): UserError | undefined {
  const e = error as NodeJS.ErrnoException;
  const known = e && typeof e.code === 'string' ? PATH_ERRORS[e.code] : undefined;
  if (!known) return undefined;
  // A copy names its source in `path` and the place it could not write in `dest`.
  const where = (e as { dest?: string }).dest ?? e.path;
  const verb = (e as { dest?: string }).dest ? 'write' : (e.syscall ?? 'use');
  return new UserError(`cannot ${verb}${where ? ` ${where}` : ''}: ${known.what} (${e.code})`, known.code, fix);
}
