/** The built package: ESM and CommonJS entry points through the `exports` map, with types. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8'));

test('package: CommonJS build loads with require() and exposes the client and errors', () => {
  const require = createRequire(join(SDK, 'package.json'));
  const cjs = require('@promptrails/sdk');
  assert.equal(typeof cjs.PromptRails, 'function');
  assert.equal(cjs.default, cjs.PromptRails);
  assert.ok(new cjs.NotFoundError({ status: 404, headers: new Headers() }) instanceof cjs.PromptRailsError);
  assert.deepEqual(JSON.parse(readFileSync(join(SDK, 'dist', 'cjs', 'package.json'), 'utf8')), { type: 'commonjs' });
});

test('package: ESM build loads with import()', async () => {
  const esm = await import('@promptrails/sdk');
  assert.equal(typeof esm.PromptRails, 'function');
  const client = new esm.PromptRails({ apiKey: 'k', fetch: async () => new Response('{}') });
  assert.equal(client.baseUrl, 'https://api.promptrails.ai');
});

test('package: every exports target exists, with type declarations', () => {
  const dot = pkg.exports['.'];
  for (const file of [dot.import.types, dot.import.default, dot.require.types, dot.require.default, pkg.main, pkg.types]) {
    assert.ok(existsSync(join(SDK, file)), file);
  }
  assert.deepEqual(Object.keys(pkg.dependencies), ['eventsource-parser']);
});
