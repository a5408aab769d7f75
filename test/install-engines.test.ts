// `npm install` prints no EBADENGINE warning on any Node the project declares: every package the lockfile installs
// supports the oldest Node our `engines` admit, and the machine running the tests is one of those. A dependency bump
// that pulls in a package declaring a newer Node fails here, not on a newcomer's first install.
// pik-test: engine-independent — reads package.json and package-lock.json only
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';

interface Lock {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
}

const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as Lock;

describe('install: engines', () => {
  const declared = manifest.engines.node;
  const oldest = semver.minVersion(declared)?.version;

  it('declares a Node range with a least version, which the running Node satisfies', () => {
    assert.ok(oldest, `engines.node ${declared} has no least version`);
    assert.ok(semver.satisfies(process.versions.node, declared), `Node ${process.versions.node} is outside engines.node ${declared}`);
  });

  it('installs only packages that support the oldest Node we declare', () => {
    const unsupported: string[] = [];
    let checked = 0;
    for (const [location, entry] of Object.entries(lock.packages)) {
      const range = !entry.engines || Array.isArray(entry.engines) ? undefined : entry.engines.node;
      if (!location || !range) continue;
      checked++;
      if (!semver.satisfies(oldest as string, range) || !semver.satisfies(process.versions.node, range)) unsupported.push(`${location} wants node ${range}`);
    }
    assert.ok(checked > 50, `only ${checked} packages declare engines: is the lockfile read?`);
    assert.deepEqual(unsupported, [], `these packages warn EBADENGINE on Node ${oldest}`);
  });
});
