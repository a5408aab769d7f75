import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { listMigrations, orderMigrations } from './migrate.ts';

describe('migration discovery', () => {
  it('orders the files by number, whatever order the folder lists them in', () => {
    assert.deepEqual(orderMigrations(['0002_b.ts', '0003_c.ts', '0001_a.ts']), ['0001_a', '0002_b', '0003_c']);
    assert.deepEqual(orderMigrations([]), []);
  });

  it('in the compiled build (dist/app/migrations), reads the .js files the same way', () => {
    assert.deepEqual(orderMigrations(['0002_b.js', '0001_a.js', '0001_a.js.map', 'chunk.ts'], '.js'), ['0001_a', '0002_b']);
    assert.throws(() => orderMigrations(['0001_a.js', 'helpers.js'], '.js'), /is not named NNNN_name/);
  });

  it('ignores files that are not TypeScript, and hidden ones', () => {
    assert.deepEqual(orderMigrations(['0001_a.ts', 'README.md', '.0002_b.ts.swp', '.0002_b.ts']), ['0001_a']);
  });

  it('refuses a gap in the numbering', () => {
    assert.throws(() => orderMigrations(['0001_a.ts', '0003_c.ts']), /Migration 0002 is missing: the next one is 0003_c/);
    assert.throws(() => orderMigrations(['0002_b.ts']), /Migration 0001 is missing/);
  });

  it('refuses two migrations with one number (two branches that each added the next one)', () => {
    assert.throws(() => orderMigrations(['0001_a.ts', '0002_b.ts', '0002_c.ts']), /0002_b and 0002_c share a number/);
  });

  it('refuses a TypeScript file that is not named NNNN_name.ts, instead of skipping it', () => {
    for (const name of ['6_ledger.ts', '0006-ledger.ts', '0006_Ledger.ts', 'helpers.ts', '00006_x.ts']) {
      assert.throws(() => orderMigrations(['0001_a.ts', name]), /is not named NNNN_name\.ts/, name);
    }
  });

  it('the migrations folder itself is numbered without gaps, and every migration exports up()', async () => {
    const names = listMigrations();
    assert.ok(names.length >= 5);
    assert.equal(names.length, fs.readdirSync(new URL('./migrations/', import.meta.url)).filter((f) => f.endsWith('.ts')).length);
    for (const name of names) {
      const module = (await import(new URL(`./migrations/${name}.ts`, import.meta.url).href)) as { up?: unknown };
      assert.equal(typeof module.up, 'function', name);
    }
  });
});
