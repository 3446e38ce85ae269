/**
 * The README's ```typescript examples, compiled strictly and run unchanged against the mock
 * server, whose development workspace accepts the documentation's placeholders (`your-api-key`,
 * `your-agent-id`, `session-id`): registered here through the mock's control API when the mock
 * does not have them already.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    const exists = (err: unknown) => {
      if (!/409/.test(String(err))) throw err;
    };
    await mock.control('POST', '/__mock/workspaces', { api_key: 'your-api-key' }).catch(exists);
    await mock.control('POST', '/__mock/agents', { id: 'your-agent-id', like: 'thinker' }).catch(exists);
    await mock.control('POST', '/__mock/sessions', { id: 'session-id', api_key: 'your-api-key', agent_id: 'your-agent-id' }).catch(exists);
    delete process.env['PROMPTRAILS_API_KEY'];
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
    assert.ok(blocks.length >= 8);
    const run = await compileSnippets('readme', blocks, {});
    const before = new Set(readdirSync(tmpdir()));
    let printed: string;
    try {
      printed = await captureOutput(() => run({}));
    } finally {
      // The files the Conversations example saved.
      for (const name of readdirSync(tmpdir())) if (!before.has(name) && /^conversation-.*\.json$/.test(name)) rmSync(join(tmpdir(), name));
    }
    assert.match(printed, /^session-id holds \d+ messages$/m);
    assert.match(printed, /\d+ tokens/);
    assert.match(printed, /^true \d+$/m); // untilDone(): the streamed text is the output's text
    assert.match(printed, /^execution .* done$/m);
    assert.match(printed, /^request \S+$/m);
    assert.match(printed, /^200 true Support Conversation$/m);
    assert.match(printed, /^application\/json true$/m);
    assert.match(printed, /^PromptRails: GET \/api\/v1\/chat\/sessions -> 200 in \d+ ms, request_id \S+$/m);
    assert.match(printed, /404 not_found: /);
    assert.doesNotMatch(printed, /^request undefined$/m);
    // Conversations
    assert.match(printed, /^reply: \S.*$/m);
    assert.match(printed, /^\(calling search\)$/m);
    assert.match(printed, /^user Hi, I need help\. \d{4}-\d\d-\d\dT/m);
    assert.match(printed, /^history 6, [1-9]\d* \+ [1-9]\d* tokens, \$0\.\d+$/m);
    assert.match(printed, /^after break 8 assistant$/m);
    assert.match(printed, /^First\? Second\?$/m);
    assert.match(printed, /^loaded true true$/m);
    assert.match(printed, /^cleared 0 0$/m);
  });
});
