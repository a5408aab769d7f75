// A request's unit of work: the route opens it, runs one domain command in it, and answers with the command's result.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { runUnitOfWork, type UnitOfWork } from '../db/unit-of-work.ts';
import { recordIdempotentResponse } from '../domain/idempotency/idempotency.ts';
import type { Services } from '../services.ts';

export interface Answer {
  status: number;
  body: unknown;
}

/**
 * Opens the request's unit of work, runs `command` in it, serializes its answer by the route's response schema, and
 * commits. When the request claimed an Idempotency-Key, those exact bytes are stored in the same transaction as the
 * change: a retry after any crash finds either nothing applied (and runs afresh) or the change with its answer.
 */
export async function replyFromWork(
  services: Pick<Services, 'db' | 'now' | 'dataKeys'>,
  request: FastifyRequest,
  reply: FastifyReply,
  command: (work: UnitOfWork) => Promise<Answer>,
): Promise<FastifyReply> {
  const claim = request.idempotencyClaim;
  const text = await runUnitOfWork(
    services.db,
    async (work) => {
      const { status, body } = await command(work);
      reply.code(status);
      const serialized = reply.serialize(body) as string;
      // Queued after the command's own writes: the answer reaches the database in the same statement as the change.
      if (claim) recordIdempotentResponse(services.dataKeys, work, claim, { status, body: serialized }, services.now());
      return serialized;
    },
    (error) => request.log.error({ err: error }, 'a step after commit failed'),
  );
  request.idempotencyClaim = undefined; // recorded with the change: nothing left for onSend to do
  return reply.type('application/json; charset=utf-8').send(text);
}
