// Schema validation: bodies are checked exactly as sent (no type coercion: "500" and 500 are different things for money);
// query strings and path parameters arrive as text, so there coercion is what a user expects.
//
// Every route's validators and response serializers are compiled when first used, not while the app is built: compiling
// them all took about a CPU-second of each start. Once the server listens, compileDeferredSchemas() compiles what is
// left in the background, a schema per turn of the event loop, so early requests do not wait for it either.
import { setImmediate as nextTurn } from 'node:timers/promises';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema, FastifyServerOptions } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  // validateSchema off: the schemas are ours, checked where they are published (the OpenAPI document's lint, its
  // tests); checking each against the JSON Schema meta-schema first cost some 50 ms of each start's CPU.
  return addFormats(new Ajv({ allErrors: false, useDefaults: true, strict: false, validateSchema: false, ...options }));
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

/** The schemas of one app not compiled yet, each as the function that compiles it. */
export type DeferredSchemas = Set<() => unknown>;

function onFirstUse<F>(pending: DeferredSchemas, compile: () => F): () => F {
  let compiled: F | undefined;
  const get = (): F => {
    if (compiled === undefined) {
      compiled = compile();
      pending.delete(get);
    }
    return compiled;
  };
  pending.add(get);
  return get;
}

const defaultSerializers = SerializerSelector();

/** Fastify's `schemaController` option: its own serializers (fast-json-stringify), each compiled when first used. */
export function deferredSerializers(pending: DeferredSchemas): FastifyServerOptions['schemaController'] {
  return {
    compilersFactory: {
      buildSerializer: (externalSchemas: unknown, options: unknown) => {
        const compilerFor = defaultSerializers(externalSchemas, options as Parameters<typeof defaultSerializers>[1]);
        return (route: Parameters<typeof compilerFor>[0]) => {
          const serializer = onFirstUse(pending, () => compilerFor(route));
          return (payload: unknown) => serializer()(payload);
        };
      },
    },
  };
}

export function registerValidation(app: FastifyInstance, pending: DeferredSchemas): void {
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => {
    const validator = onFirstUse(pending, () => validatorFor(schema as object, httpPart !== 'body'));
    // Fastify reads `errors` off the function it was given, after a call that returned false.
    const validate = ((data: unknown) => {
      const compiled = validator();
      const valid = compiled(data);
      validate.errors = compiled.errors;
      return valid;
    }) as ValidateFunction;
    return validate;
  });
}

/** Compiles every schema of the app not compiled yet, one per turn of the event loop. */
export async function compileDeferredSchemas(pending: DeferredSchemas): Promise<void> {
  for (const compile of pending) {
    compile();
    await nextTurn();
  }
}
