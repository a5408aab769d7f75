// The layers point one way: every import in src/ is checked against the table below (docs/architecture.md explains it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * A file's layer is its top folder under src/ (lib, db, auth, domain, http, dashboard, cli), or its own name for the
 * files at the top (config, services, metrics, app, main, logger). Each layer may import itself and the layers listed for it.
 */
const mayImport: Record<string, readonly string[]> = {
  lib: [],
  config: ['lib'],
  logger: ['lib'],
  db: ['lib'],
  auth: ['lib', 'db', 'config'],
  domain: ['lib', 'db', 'config'],
  // metrics.ts: the Prometheus registry; it reads the db's pools and the domain's counts, and nothing imports it but
  // services (which creates it).
  metrics: ['lib', 'db', 'domain'],
  services: ['lib', 'db', 'config', 'auth', 'domain', 'logger', 'metrics'],
  http: ['lib', 'db', 'config', 'auth', 'domain', 'services'],
  dashboard: ['lib', 'db', 'config', 'auth', 'domain', 'services'],
  // db: `pik restore` opens the embedded database itself, with the server stopped (and its data directory's lock held).
  cli: ['lib', 'auth', 'db'],
  app: ['lib', 'services', 'http', 'dashboard'],
  // main also takes the port (http/port.ts) before it loads the app, so a port in use is told at once.
  main: ['lib', 'config', 'logger', 'db', 'auth', 'services', 'app', 'http'],
};

/** Packages that belong to the edge: the layers below it never see a request. */
const edgePackages = /^(fastify|@fastify\/|find-my-way)/;
const belowTheEdge = new Set(['lib', 'config', 'db', 'auth', 'domain']);

function layerOf(file: string): string {
  const parts = path.relative(srcDir, file).split(path.sep);
  return parts.length === 1 ? (parts[0] ?? '').replace(/(\.test)?\.ts$/, '') : (parts[0] ?? '');
}

export interface SourceFile {
  file: string;
  text: string;
}

/** Every import (static, type-only, re-export, dynamic) that breaks the table, as "file → specifier (why)". */
export function layerViolations(sources: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const { file, text } of sources) {
    const from = layerOf(file);
    const allowed = mayImport[from];
    const name = path.relative(srcDir, file);
    if (!allowed) {
      problems.push(`${name}: layer "${from}" is not in the table of test/layers.test.ts; add it there and to docs/architecture.md`);
      continue;
    }
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (specifier.startsWith('.')) {
        const to = layerOf(path.resolve(path.dirname(file), specifier));
        if (to !== from && !allowed.includes(to)) problems.push(`${name} → ${specifier} (${from} may not import ${to})`);
      } else if (belowTheEdge.has(from) && edgePackages.test(specifier)) {
        problems.push(`${name} → ${specifier} (${from} is below the HTTP edge)`);
      }
    }
  }
  return problems;
}

function sourcesUnder(dir: string): SourceFile[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith('.ts') ? [{ file: full, text: fs.readFileSync(full, 'utf8') }] : [];
  });
}

describe('layers', () => {
  it('every import in src/ points down the table: lib imports nothing of ours, auth and domain not each other, db not domain', () => {
    const sources = sourcesUnder(srcDir);
    assert.ok(sources.length > 50, 'found the source files');
    assert.deepEqual(layerViolations(sources), []);
  });

  it('catches each kind of import that would break a rule', () => {
    const at = (file: string, text: string): SourceFile => ({ file: path.join(srcDir, file), text });
    const planted = [
      at('lib/money.ts', "import { ApiError } from '../domain/errors.ts';"),
      at('lib/ids.ts', "import type { Config } from '../config.ts';"),
      at('auth/authenticate.ts', "import type { Scope } from '../domain/actor.ts';"),
      at('domain/api-keys/api-keys.ts', "export { generateApiKey } from '../../auth/api-key.ts';"),
      at('domain/ledger/ledger.ts', "const m = await import('../../http/errors.ts');"),
      at('domain/ledger/wallets.ts', "import {\n  dashboard,\n} from '../../dashboard/index.ts';"),
      at('domain/events.ts', "import type { FastifyInstance } from 'fastify';"),
      at('db/schema.ts', "import type { Capability } from '../domain/accounts/capabilities.ts';"),
      at('cli/pik.ts', "import { createTransfer } from '../domain/ledger/transfers.ts';"),
      at('webhooks/worker.ts', "import { recordEvent } from '../domain/events.ts';"),
    ];
    const found = layerViolations(planted);
    assert.equal(found.length, planted.length, found.join('\n'));
    assert.deepEqual(layerViolations([at('domain/ledger/ledger.ts', "import { ApiError } from '../../lib/errors.ts';\nimport { sql } from 'kysely';")]), []);
  });
});
