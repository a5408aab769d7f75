// The newest modification time of the files under a folder: how the build scripts tell whether what they made is stale.
import fs from 'node:fs';
import path from 'node:path';

/** The newest mtime (ms) of every file under `dir`, recursively; 0 for an empty folder. */
export function newestMtimeUnder(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeUnder(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}
