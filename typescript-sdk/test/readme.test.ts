/** The README's ```typescript examples, compiled strictly and run against the mock server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOCK_ENV, startMock, type MockServer } from './helpers.js';
import { captureOutput, codeBlocks, compileSnippets } from './snippets.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');
const enabled = Boolean(process.env[MOCK_ENV]);

describe('README examples against the mock server', { skip: enabled ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  const saved = { key: process.env['PROMPTRAILS_API_KEY'], url: process.env['PROMPTRAILS_BASE_URL'] };
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
    await mock.control('POST', '/__mock/agents', { id: 'your-agent-id', like: 'thinker' });
    process.env['PROMPTRAILS_API_KEY'] = 'promptrails-dev-key';
    process.env['PROMPTRAILS_BASE_URL'] = mock.url;
  });
  after(async () => {
    for (const [name, value] of [['PROMPTRAILS_API_KEY', saved.key], ['PROMPTRAILS_BASE_URL', saved.url]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await mock?.stop();
  });

  test('every README example compiles and runs', async () => {
    const blocks = codeBlocks(readFileSync(README, 'utf8'));
    assert.ok(blocks.length >= 6);
    const run = await compileSnippets('readme', blocks, {});
    const printed = await captureOutput(() => run({}));
    assert.match(printed, /\(calling search\)/);
    assert.match(printed, /\d+ tokens/);
    assert.match(printed, /404 not_found: /);
    assert.match(printed, /^execution .* done$/m);
  });
});
