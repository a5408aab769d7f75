import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dataKeyId, parseDataKey } from '../lib/sealed.ts';
import { DataKeyFileError, dataKeyPath, loadDataKeyring } from './data-keys.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-data-key-'));
  dirs.push(dir);
  return path.join(dir, 'data'); // not created yet, as on a first start
}
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const settings = (dataDir: string, extra: Partial<Parameters<typeof loadDataKeyring>[0]> = {}) => ({
  dataKey: undefined,
  dataKeysOld: [],
  dataDir,
  databaseUrl: undefined,
  ...extra,
});

describe('the data key', () => {
  it('is generated on the first start into the data directory, mode 0600, and read back on the next', () => {
    const dataDir = freshDir();
    const first = loadDataKeyring(settings(dataDir));
    assert.equal(first.source, 'created');
    assert.equal(first.path, dataKeyPath(dataDir));
    if (process.platform !== 'win32') assert.equal(fs.statSync(dataKeyPath(dataDir)).mode & 0o777, 0o600);
    const again = loadDataKeyring(settings(dataDir));
    assert.equal(again.source, 'file');
    assert.equal(again.keyring.currentKeyId, first.keyring.currentKeyId);
    assert.equal(again.keyring.open(first.keyring.seal('x', 'c'), 'c'), 'x');
  });

  it('refuses a key file that other users can read, or that is not a key, and never replaces it', { skip: process.platform === 'win32' }, () => {
    const dataDir = freshDir();
    loadDataKeyring(settings(dataDir));
    const file = dataKeyPath(dataDir);
    const original = fs.readFileSync(file, 'utf8');
    for (const mode of [0o640, 0o604, 0o644]) {
      fs.chmodSync(file, mode);
      assert.throws(() => loadDataKeyring(settings(dataDir)), (error: unknown) => {
        assert.ok(error instanceof DataKeyFileError);
        assert.match(error.message, /chmod 600/);
        assert.ok(!error.message.includes(original.trim()), 'the message never shows the key');
        return true;
      });
    }
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, 'not a key\n');
    assert.throws(() => loadDataKeyring(settings(dataDir)), /is not a data key/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a key\n', 'left for the operator to restore');
  });

  it('comes from PIK_DATA_KEY when set (no file is written), with PIK_DATA_KEYS_OLD for reading old rows', () => {
    const dataDir = freshDir();
    const [current, old] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')];
    const loaded = loadDataKeyring(settings(dataDir, { dataKey: current, dataKeysOld: [old] }));
    assert.equal(loaded.source, 'environment');
    assert.equal(fs.existsSync(dataKeyPath(dataDir)), false);
    assert.deepEqual(loaded.keyring.keyIds, [dataKeyId(parseDataKey(current)!), dataKeyId(parseDataKey(old)!)]);
    assert.deepEqual(loaded.secrets, [current, old]);
  });

  it('is required from the environment with PostgreSQL: servers sharing a database must share the key', () => {
    assert.throws(() => loadDataKeyring(settings(freshDir(), { databaseUrl: 'postgres://db/pik' })), /PIK_DATA_KEY is required/);
  });
});
