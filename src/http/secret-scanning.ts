// POST /secret-scanning/v1/reports: GitHub's secret-scanning partner endpoint. No API key: a report is accepted only
// when its raw body carries a valid ECDSA P-256 signature by a key of PIK_SECRET_SCANNING_PUBLIC_KEYS.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { handleLeakReport, parseLeakReport } from '../domain/api-keys/leak-reports.ts';
import { ApiError } from '../lib/errors.ts';
import { checkScanningSignature } from '../lib/secret-scanning.ts';
import type { Services } from '../services.ts';
import { sendError } from './errors.ts';
import { replyFromWork } from './reply-from-work.ts';

/** Reports over this size are refused with 413 before they are read further. */
export const maxLeakReportBytes = 1024 * 1024;

const signatureMessages = {
  missing: 'The report must be signed: send Github-Public-Key-Identifier and Github-Public-Key-Signature.',
  unknown_key: 'The report is signed with a key PIK does not know (Github-Public-Key-Identifier).',
  invalid: 'The signature does not match the report body.',
} as const;

export async function secretScanningRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // The signature covers the exact bytes sent: the body is kept raw and parsed only once the signature holds.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxLeakReportBytes }, (_request, body, done) => done(null, body));

  app.post(
    '/reports',
    {
      bodyLimit: maxLeakReportBytes,
      schema: {
        summary: "Report leaked PIK keys (GitHub secret-scanning partner format); signed with one of GitHub's published keys",
        tags: ['Secret scanning'],
        response: {
          200: Type.Array(
            Type.Object({ token_raw: Type.String(), token_type: Type.String(), label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]) }),
          ),
        },
      },
    },
    async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const identifier = request.headers['github-public-key-identifier'];
      const signature = request.headers['github-public-key-signature'];
      const check = checkScanningSignature(
        services.config.secretScanningPublicKeys,
        typeof identifier === 'string' ? identifier : undefined,
        typeof signature === 'string' ? signature : undefined,
        raw,
      );
      if (check !== 'valid') {
        services.authFailures?.recordFailure(request.ip);
        return sendError(request, reply, new ApiError('SECRET_SCANNING_SIGNATURE_INVALID', signatureMessages[check], { reason: check }));
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendError(request, reply, new ApiError('INVALID_JSON'));
      }
      const items = parseLeakReport(body);
      return replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: await handleLeakReport(services, work, items, services.config.leakedKeyAction),
      }));
    },
  );
}
