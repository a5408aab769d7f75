// The keyring that seals identity data at rest: PIK_DATA_KEY (+ PIK_DATA_KEYS_OLD), or for the embedded database a
// key generated once into the data directory (`data-key`, mode 0600), next to the database it protects.
import fs from 'node:fs';
import path from 'node:path';
import { DataKeyring, generateDataKeyText, parseDataKey } from '../lib/sealed.ts';

export const dataKeyFile = 'data-key';

export interface DataKeySettings {
  dataKey: string | undefined;
  dataKeysOld: readonly string[];
  dataDir: string;
  databaseUrl: string | undefined;
}

export interface LoadedDataKeys {
  keyring: DataKeyring;
  /** Where the current key came from, for the start-up message (never the key itself). */
  source: 'environment' | 'file' | 'created';
  path: string | undefined;
  /** The key texts, for the logger's list of literals to scrub. */
  secrets: string[];
}

/** The key file cannot be used; the message says what to do and never contains the key. */
export class DataKeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataKeyFileError';
  }
}

export function dataKeyPath(dataDir: string): string {
  return path.join(dataDir, dataKeyFile);
}

export function loadDataKeyring(settings: DataKeySettings): LoadedDataKeys {
  const old = settings.dataKeysOld.map((text) => parseDataKey(text) as Buffer);
  if (settings.dataKey) {
    const key = parseDataKey(settings.dataKey);
    if (!key) throw new DataKeyFileError('PIK_DATA_KEY is not a data key.');
    return { keyring: new DataKeyring(key, old), source: 'environment', path: undefined, secrets: [settings.dataKey, ...settings.dataKeysOld] };
  }
  // config.ts refuses DATABASE_URL without PIK_DATA_KEY; this is the same rule for callers that skip it.
  if (settings.databaseUrl) throw new DataKeyFileError('PIK_DATA_KEY is required with DATABASE_URL.');
  const file = dataKeyPath(settings.dataDir);
  let text = readKeyFile(file);
  let source: LoadedDataKeys['source'] = 'file';
  if (text === undefined) {
    fs.mkdirSync(settings.dataDir, { recursive: true });
    const created = generateDataKeyText();
    try {
      fs.writeFileSync(file, `${created}\n`, { mode: 0o600, flag: 'wx' });
      text = created;
      source = 'created';
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      text = readKeyFile(file);
    }
  }
  const key = text === undefined ? undefined : parseDataKey(text);
  if (!key) {
    // Never replace it: rows sealed under the lost key would become unreadable. The operator must restore it.
    throw new DataKeyFileError(`${file} is not a data key (32 bytes as base64 or hex). Restore it from a backup, or set PIK_DATA_KEY.`);
  }
  return { keyring: new DataKeyring(key, old), source, path: file, secrets: [text as string, ...settings.dataKeysOld] };
}

/** The key file's text, undefined when there is none; refuses a file others can read, like ssh does a private key. */
function readKeyFile(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isFile()) throw new DataKeyFileError(`${file} is not a regular file.`);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new DataKeyFileError(`${file} can be read by other users (mode ${mode}); run "chmod 600 ${file}", and rotate the key if anyone else could have read it.`);
  }
  return fs.readFileSync(file, 'utf8');
}
