// GET /admin/v1/backup: a consistent snapshot of the embedded database while the server runs (`pik backup --out FILE`).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { operatorSecurity } from '../schemas.ts';

/** The header carrying the SHA-256 of the tarball, so the CLI can tell a complete download from a cut one. */
export const backupDigestHeader = 'x-pik-backup-sha256';

/**
 * The data directory as a gzipped tarball (PGlite's dumpDataDir). A CHECKPOINT first writes every committed change into
 * the data files; the dump then runs under PGlite's query lock, so no statement runs while the files are read. A
 * transaction open at that moment (between two of its statements) is in the copy only as WAL of a transaction that
 * never committed: opening the copy recovers it as a crash would, to exactly what had committed. The whole tarball is
 * built in memory (a sandbox's data is tens of megabytes) and its digest sent in a header.
 */
export async function adminBackupRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get(
    '/backup',
    {
      schema: {
        summary: 'A snapshot of the embedded database (PGlite) as a .tar.gz, taken while the server runs; restore it with `pik restore FILE`',
        tags: ['Operator'],
        security: operatorSecurity,
        response: {
          200: {
            description: 'OK: the snapshot, a gzipped tarball of the data directory, with its SHA-256 in x-pik-backup-sha256.',
            content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const db = services.db;
      if (db.kind !== 'pglite' || !db.dumpDataDir) throw new ApiError('BACKUP_NOT_EMBEDDED');
      await db.pool.query('CHECKPOINT');
      const tarball = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
      const takenAt = services.now().toISOString().replace(/[:.]/g, '-');
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="pik-backup-${takenAt}.tar.gz"`)
        .header(backupDigestHeader, createHash('sha256').update(tarball).digest('hex'))
        .send(tarball);
    },
  );
}
