/**
 * What the corpus does not exercise (specs/kinds.yaml): text bodies and results, a JSON body that
 * is no model, cookie parameters, an API key sent as a cookie, OpenID Connect tokens, list query
 * parameters not exploded or pipe-delimited, and an operation open to anyone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kinds from '../sdks/kinds/src/index.js';
import { fakeFetch, json, quick, text } from './helpers.js';

test('kinds: a text body and a text result; the session cookie is the credential', async () => {
  const f = fakeFetch(text(200, 'héllo back'));
  const client = new kinds.Kinds({ apiKey: 'sess-1', baseUrl: 'http://k.test', ...quick(f.fetch) });
  assert.equal(await client.things.echoText({ body: 'héllo' }), 'héllo back');
  const call = f.calls[0]!;
  assert.equal(call.raw, 'héllo');
  assert.equal(call.headers['content-type'], 'text/plain');
  assert.equal(call.headers['accept'], 'text/plain');
  assert.equal(call.headers['cookie'], 'sid=sess-1');
  assert.throws(() => client.things.echoText({} as never), /params\.body is required/);
  assert.throws(() => client.things.echoText({ body: 5 as unknown as string }), kinds.InvalidArgumentError);
});

test('kinds: an OpenID Connect token is a bearer header; a JSON array body is converted to the wire', async () => {
  const f = fakeFetch(() => new Response(null, { status: 204 }));
  const client = new kinds.Kinds({ oidc: 'id-token', baseUrl: 'http://k.test', ...quick(f.fetch) });
  await client.things.bulkTags({ body: [{ tagName: 'a', weight: 1 }, { tagName: 'b' }] });
  assert.equal(f.calls[0]!.headers['authorization'], 'Bearer id-token');
  assert.equal(f.calls[0]!.headers['cookie'], undefined);
  assert.deepEqual(f.calls[0]!.body, [{ tag_name: 'a', weight: 1 }, { tag_name: 'b' }]);
});

test('kinds: cookie and header parameters, unexploded and pipe-delimited lists, no credentials for an open operation', async () => {
  const f = fakeFetch(json(200, { tag_name: 't' }));
  const client = new kinds.Kinds({ apiKey: 'sess-1', baseUrl: 'http://k.test', ...quick(f.fetch) });
  const tag = await client.things.getPrefs({ theme: 'dark mode', xCount: 3, flags: ['a', 'b'], sep: [1, 2] });
  assert.equal(tag.tagName, 't');
  const call = f.calls[0]!;
  assert.equal(call.headers['cookie'], 'theme=dark%20mode');
  assert.equal(call.headers['x-count'], '3');
  assert.equal(call.url.searchParams.get('flags'), 'a,b');
  assert.equal(call.url.searchParams.get('sep'), '1|2');
  const saved = [process.env['KINDS_API_KEY'], process.env['KINDS_OIDC']];
  delete process.env['KINDS_API_KEY'];
  delete process.env['KINDS_OIDC'];
  try {
    assert.throws(() => new kinds.Kinds({ fetch: f.fetch }), /no credentials/);
  } finally {
    if (saved[0] !== undefined) process.env['KINDS_API_KEY'] = saved[0];
    if (saved[1] !== undefined) process.env['KINDS_OIDC'] = saved[1];
  }
});
