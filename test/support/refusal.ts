import { UserError } from '../../src/errors.js';

/** The UserError `f` refuses its input with; any other error is rethrown, and acceptance fails the test. */
export function refusal(f: () => unknown): UserError {
  try {
    f();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('accepted');
}
