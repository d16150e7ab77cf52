import { accessSync, constants } from 'node:fs';
import { findOnPath } from '../../server/launch/redis-process.js';

/**
 * Something a test needs is not installed. Its stack is its message alone, so mocha prints one
 * line that says what to install instead of a trace through the hook that found out.
 */
export class MissingPrerequisite extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPrerequisite';
    this.stack = `${this.name}: ${message}`;
  }
}

/** The path of an executable (a path, or a name on PATH), or a MissingPrerequisite naming `install`. */
export function requireExecutable(pathOrName: string, what: string, install: string): string {
  const found = pathOrName.includes('/') ? executable(pathOrName) : findOnPath(pathOrName);
  if (!found) throw new MissingPrerequisite(`${what} (${pathOrName}) is not installed: ${install}`);
  return found;
}

function executable(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}
