/**
 * The documented TypeScript calls (the ```typescript blocks of the repo's docs/sdk-calls.md,
 * or of $PROMPTRAILS_SEED_FILE), compiled strictly and run unchanged against the mock server,
 * with a `client` constructed first and the agent alias `your-agent-id` registered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PromptRails } from '../src/index.js';
import { MOCK_ENV, startMock, type MockServer } from './helpers.js';
import { captureOutput, codeBlocks, compileSnippets } from './snippets.js';

const SEED = process.env['PROMPTRAILS_SEED_FILE'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'sdk-calls.md');
const enabled = Boolean(process.env[MOCK_ENV]);

test('the documented calls have the TypeScript blocks we run', () => {
  const blocks = codeBlocks(readFileSync(SEED, 'utf8'));
  assert.equal(blocks.length, 3);
  assert.match(blocks[0]!, /client\.chat\.createSession/);
  assert.match(blocks[2]!, /for await \(const event of client\.chat\.sendMessageStream/);
});

describe('the seed against the mock server', { skip: enabled ? false : `${MOCK_ENV} is not set` }, () => {
  let mock: MockServer;
  before(async () => {
    const started = await startMock();
    if (!started) throw new Error(`${MOCK_ENV} is set but no server was started`);
    mock = started;
    await mock.control('POST', '/__mock/agents', { id: 'your-agent-id', like: 'echo' });
  });
  after(async () => {
    await mock?.stop();
  });

  test('the seed code compiles (strict) and runs unchanged', async () => {
    const run = await compileSnippets('seed', codeBlocks(readFileSync(SEED, 'utf8')), { client: 'PromptRails' });
    const client = new PromptRails({ apiKey: 'promptrails-dev-key', baseUrl: mock.url });
    const printed = await captureOutput(() => run({ client }));
    // console.log(response.content) printed the reply; the stream wrote its content deltas.
    const lines = printed.split('\n');
    assert.ok(lines[0]!.length > 0, printed);
    assert.ok(printed.length > lines[0]!.length + 1, printed);
    const sessions = await client.chat.listSessions();
    const session = sessions.data.find((s) => s.title === 'Support Conversation');
    assert.ok(session);
    assert.deepEqual(session.metadata, { channel: 'web', user_id: 'external-user-123' });
    const messages = await client.chat.listMessages(session.id);
    assert.deepEqual(messages.data.map((m) => m.content).filter((_, i) => i % 2 === 0), ['Hi, I need help with my account.', 'Hello!']);
  });
});
