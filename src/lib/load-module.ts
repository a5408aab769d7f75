// import() of a module that is not part of the build (a migration by its file URL, the API reference's renderer). The
// build runs the server as a script with a V8 code cache (scripts/code-cache.mjs), and on Node 20 an import() inside
// such a script fails once its functions come from the cache ("A dynamic import callback was not specified"): there,
// the launcher, an ES module, lends its own import() under this symbol. From the sources it is plain import().

type ImportModule = (specifier: string) => Promise<unknown>;

const lent = Symbol.for('pik.import');

export function loadModule<T>(specifier: string): Promise<T> {
  const borrowed = (globalThis as { [lent]?: ImportModule })[lent];
  return (borrowed ? borrowed(specifier) : import(specifier)) as Promise<T>;
}
