// pik backup / pik restore: the embedded database (PGlite) saved from a running server, and put back with it stopped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findOperatorToken } from '../../auth/operator-token.ts';
import { DataDirLockedError, lockDataDir } from '../../db/data-dir-lock.ts';
import { dataKeyPath } from '../../db/data-keys.ts';
import { CliError, serverUrl } from '../client.ts';
import { printJson, printLines } from '../output.ts';

/** The header GET /admin/v1/backup sends the tarball's SHA-256 in (src/http/admin/backup-routes.ts). */
const digestHeader = 'x-pik-backup-sha256';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('Save the embedded database of the running server (a consistent snapshot, taken while it serves) to a .tar.gz file')
    .requiredOption('--out <file>', 'where to write the backup (an existing file is replaced only once the new one is complete)')
    .option('--json', 'print JSON')
    .action(async (options: { out: string; json?: boolean }) => {
      const written = await downloadBackup(options.out);
      if (options.json) return printJson(written);
      printLines([
        `Backed up the embedded database to ${written.file} (${(written.bytes / 1e6).toFixed(1)} MB, sha256 ${written.sha256}).`,
        "It holds the database only: keep the data directory's data-key file (or PIK_DATA_KEY) safe too, apart from it — identity data in the backup is sealed under that key.",
      ]);
    });

  program
    .command('restore')
    .description("Replace the embedded database in PIK_DATA_DIR (default ./.pik) with a backup; the server must be stopped")
    .argument('<file>', 'a file written by `pik backup`')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const dataDir = path.resolve(process.env.PIK_DATA_DIR || './.pik');
      const restored = await restoreBackup(file, dataDir, process.env);
      if (options.json) return printJson(restored);
      printLines([
        `Restored ${path.resolve(file)} into ${restored.pgdata}.`,
        ...(restored.previous ? [`The database it replaced is kept in ${restored.previous}; delete it once the restored one is checked.`] : []),
        ...(restored.warning ? [`Warning: ${restored.warning}`] : []),
        'Start the server (npm start): it applies any migration newer than the backup.',
        'Everything is as it was at the backup: API keys deleted or rolled since then work again — delete them again (docs/operations.md).',
      ]);
    });
}

async function downloadBackup(out: string): Promise<{ file: string; bytes: number; sha256: string }> {
  const baseUrl = serverUrl(undefined);
  const dataDir = path.resolve(process.env.PIK_DATA_DIR || './.pik');
  const token = findOperatorToken(process.env.PIK_OPERATOR_TOKEN, dataDir);
  if (!token) throw new CliError(`No operator token: set PIK_OPERATOR_TOKEN, or run the CLI where the server's data directory is (${dataDir}; set PIK_DATA_DIR).`);
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/admin/v1/backup`, { headers: { authorization: `Bearer ${token.token}` }, signal: AbortSignal.timeout(300_000) });
  } catch {
    throw new CliError(`Cannot reach the PIK server at ${baseUrl}. Is it running (npm start)? Set PIK_URL if it listens elsewhere.`);
  }
  if (!response.ok) {
    const error = ((await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new CliError(`${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'the backup failed'}`, { status: response.status, code: error?.code });
  }
  const tarball = Buffer.from(await response.arrayBuffer());
  const sha256 = createHash('sha256').update(tarball).digest('hex');
  if (sha256 !== response.headers.get(digestHeader)) throw new CliError('The backup arrived incomplete (its checksum does not match); nothing was written. Run the command again.');
  const file = path.resolve(out);
  // Written beside, then renamed: a cut-off run never leaves a half file under the name of a good backup.
  const partial = `${file}.partial-${process.pid}`;
  fs.writeFileSync(partial, tarball, { mode: 0o600 });
  fs.renameSync(partial, file);
  return { file, bytes: tarball.length, sha256 };
}

/**
 * Unpacks the backup beside the current database, opens it once (PostgreSQL recovers it as after a crash, to what had
 * committed when it was taken) and checks it is a PIK database, then swaps it in; the database it replaces is kept,
 * renamed. The data directory's lock is held throughout, so no server can start on a half-restored directory.
 */
export async function restoreBackup(file: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<{ pgdata: string; previous: string | undefined; warning: string | undefined }> {
  if (env.DATABASE_URL) throw new CliError('DATABASE_URL is set: this server runs on PostgreSQL, which is restored with pg_restore (see docs/operations.md). `pik restore` is for the embedded database.');
  let tarball: Buffer;
  try {
    tarball = fs.readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  if (tarball[0] !== 0x1f || tarball[1] !== 0x8b) throw new CliError(`${file} is not a backup made by \`pik backup\` (not a .tar.gz).`);
  let release: () => void;
  try {
    release = lockDataDir(dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      throw new CliError(`The server is running on ${dataDir} (${error.message.match(/pid \d+/)?.[0] ?? 'another process'}): stop it first (Ctrl+C, or kill it), then run the restore again. To copy a running server's database, use \`pik backup\`.`);
    }
    throw error;
  }
  const pgdata = path.join(dataDir, 'pgdata');
  const staging = `${pgdata}.restoring-${process.pid}`;
  try {
    fs.rmSync(staging, { recursive: true, force: true });
    try {
      // Loaded here, not at the top: every other command is a thin HTTP client, and the database layer (pg, Kysely,
      // PGlite) would add a quarter of a second to each of them.
      const { openPglite } = await import('../../db/database.ts');
      const db = await openPglite({ dataDir: staging, loadDataDir: new Blob([new Uint8Array(tarball)]) });
      try {
        await db.pool.query('select count(*) from core.platforms');
        await db.pool.query('CHECKPOINT');
      } finally {
        await db.close();
      }
    } catch (error) {
      throw new CliError(`${file} could not be opened as a PIK database (${error instanceof Error ? error.message : String(error)}); nothing was changed.`);
    }
    let previous: string | undefined;
    if (fs.existsSync(pgdata)) {
      previous = `${pgdata}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(pgdata, previous);
    }
    fs.renameSync(staging, pgdata);
    const warning =
      env.PIK_DATA_KEY || fs.existsSync(dataKeyPath(dataDir))
        ? undefined
        : `${dataDir} has no data-key file and PIK_DATA_KEY is unset: copy the data-key file of the directory the backup came from here before starting, or identity data in it cannot be read.`;
    return { pgdata, previous, warning };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    release();
  }
}
