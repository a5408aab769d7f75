// Schema validation: bodies are checked exactly as sent (no type coercion: "500" and 500 are different things for money);
// query strings and path parameters arrive as text, so there coercion is what a user expects.
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  return addFormats(new Ajv({ allErrors: false, useDefaults: true, strict: false, ...options }));
}

export function registerValidation(app: FastifyInstance): void {
  const strict = makeAjv({ coerceTypes: false, removeAdditional: false });
  const lenient = makeAjv({ coerceTypes: true, removeAdditional: false });
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? strict : lenient).compile(schema as object),
  );
}
