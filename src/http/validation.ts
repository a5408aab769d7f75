// Schema validation: bodies are checked exactly as sent (no type coercion: "500" and 500 are different things for money);
// query strings and path parameters arrive as text, so there coercion is what a user expects.
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  return addFormats(new Ajv({ allErrors: false, useDefaults: true, strict: false, ...options }));
}

// One pair of compilers per process, each validator compiled once per distinct schema: a process that builds the
// app more than once (tests build one per file, several files to a process) compiles nothing the second time.
const strict = makeAjv({ coerceTypes: false, removeAdditional: false });
const lenient = makeAjv({ coerceTypes: true, removeAdditional: false });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schema: object, coerce: boolean): ValidateFunction {
  const key = `${coerce ? 'lenient' : 'strict'} ${JSON.stringify(schema)}`;
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = (coerce ? lenient : strict).compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => validatorFor(schema as object, httpPart !== 'body'));
}
