// Why PGlite could not open its data directory, in a sentence naming the cause. PGlite reports most failures at start
// as "Aborted(). Build with -sASSERTIONS…", "PGlite failed to initialize properly" or an Emscripten ErrnoError with a
// number, none of which says what is wrong; so the error's own code is read where it has one, and the directory is
// examined where it has not.
import fs from 'node:fs';
import path from 'node:path';

/** Emscripten's errno numbers (its own table, not the host's) for the causes we name. */
const emscriptenErrno = { EACCES: 2, EIO: 29, ENOSPC: 51, EPERM: 63, EROFS: 69 } as const;

export type PgliteStartCause = 'disk_full' | 'permission' | 'read_only' | 'corrupt' | 'unknown';

export class PgliteStartError extends Error {
  constructor(
    readonly reason: PgliteStartCause,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PgliteStartError';
  }
}

/** What the translator may look at besides the error; tests pass their own (a full disk cannot be made on demand). */
export interface DataDirProbe {
  /** Bytes free to an unprivileged writer on the data directory's filesystem; undefined when unknown. */
  freeBytes(dir: string): number | undefined;
  /** The first file or directory under `dir` this process cannot read and write, if any. */
  firstInaccessible(dir: string): string | undefined;
}

/** Below this much free space a failed start is put down to the full disk. */
const nearlyFullBytes = 16 * 1024 * 1024;

export const hostProbe: DataDirProbe = {
  freeBytes(dir) {
    try {
      const stats = fs.statfsSync(fs.existsSync(dir) ? dir : path.dirname(dir));
      return stats.bavail * stats.bsize;
    } catch {
      return undefined;
    }
  },
  firstInaccessible(dir) {
    // Breadth-first, bounded: a data directory has a few thousand files at most; stop at the first refusal.
    const queue = [dir];
    let seen = 0;
    while (queue.length > 0 && seen < 20_000) {
      const current = queue.shift() as string;
      seen++;
      try {
        fs.accessSync(current, fs.constants.R_OK | fs.constants.W_OK);
        if (fs.statSync(current).isDirectory()) for (const name of fs.readdirSync(current)) queue.push(path.join(current, name));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return current;
      }
    }
    return undefined;
  },
};

function codeOf(error: unknown): PgliteStartCause | undefined {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === 'ENOSPC' || code === '53100') return 'disk_full';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  if (code === 'EROFS') return 'read_only';
  // Emscripten's ErrnoError carries only its own errno number.
  if (e?.name === 'ErrnoError' && typeof e.errno === 'number') {
    if (e.errno === emscriptenErrno.ENOSPC) return 'disk_full';
    if (e.errno === emscriptenErrno.EACCES || e.errno === emscriptenErrno.EPERM) return 'permission';
    if (e.errno === emscriptenErrno.EROFS) return 'read_only';
  }
  return undefined;
}

/**
 * Turns a failure to open PGlite in `dataDir` into a PgliteStartError whose message names the cause and what to do:
 * no space left, a permission refused, a read-only filesystem, or a directory that is not an intact database.
 */
export function explainPgliteStartError(error: unknown, dataDir: string, probe: DataDirProbe = hostProbe): PgliteStartError {
  const detail = error instanceof Error ? error.message || error.name : String(error);
  let cause = codeOf(error);
  let where = dataDir;
  if (cause === undefined) {
    const free = probe.freeBytes(dataDir);
    const inaccessible = probe.firstInaccessible(dataDir);
    if (free !== undefined && free < nearlyFullBytes) cause = 'disk_full';
    else if (inaccessible !== undefined) {
      cause = 'permission';
      where = inaccessible;
    } else if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) cause = 'corrupt';
    else cause = 'unknown';
  }
  const free = probe.freeBytes(dataDir);
  const freeText = free === undefined ? '' : ` (${Math.floor(free / 1048576)} MB free)`;
  const messages: Record<PgliteStartCause, string> = {
    disk_full: `The embedded database in ${dataDir} could not start: the disk is full${freeText}. Free some space (or move PIK_DATA_DIR to a larger disk) and start again; the data is not lost.`,
    permission: `The embedded database could not start: permission denied on ${where}. The data directory and everything in it must be readable and writable by the user running PIK (check its owner, e.g. with ls -l).`,
    read_only: `The embedded database in ${dataDir} could not start: its filesystem is read-only. Mount it writable, or set PIK_DATA_DIR to a writable place.`,
    corrupt: `The embedded database in ${dataDir} could not start: the directory is damaged or is not a PIK database (PGlite: ${detail}). Restore it from a backup, or move it aside to start with an empty database.`,
    unknown: `The embedded database in ${dataDir} could not start (PGlite: ${detail}).`,
  };
  return new PgliteStartError(cause, messages[cause], { cause: error });
}
