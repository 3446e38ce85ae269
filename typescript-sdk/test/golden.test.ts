/**
 * The generator's golden output for the fixture spec (generator/tests/golden/notebook/
 * typescript) compiles with tsc --strict and works, called with a fake fetch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { fakeFetch, json, sse } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SDK = join(HERE, '..', '..');
const GOLDEN = join(SDK, '..', 'generator', 'tests', 'golden', 'notebook', 'typescript');

const NOTE = { id: 'n1', title: 'T', body: null, tags: ['a'], priority: 'high', archived: false, attachments: [{ name: 'f', size_bytes: 3 }], created_at: 'now' };

async function loadGolden(): Promise<any> {
  // Copied under this package so `eventsource-parser` resolves from its node_modules.
  const root = join(SDK, 'build', 'golden');
  rmSync(root, { recursive: true, force: true });
  cpSync(join(GOLDEN, 'src'), join(root, 'src'), { recursive: true });
  const program = ts.createProgram([join(root, 'src', 'index.ts')], {
    strict: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    declaration: true,
    skipLibCheck: true,
    rootDir: join(root, 'src'),
    outDir: join(root, 'out'),
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(program.emit().diagnostics);
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  assert.equal(diagnostics.length, 0, ts.formatDiagnostics(diagnostics, host));
  return import(pathToFileURL(join(root, 'out', 'index.js')).href);
}

test('golden notebook SDK: compiles strictly and calls the API through a fake fetch', async () => {
  const sdk = await loadGolden();
  const f = fakeFetch(
    json(201, { data: NOTE }),
    json(200, { data: [NOTE], meta: { total: 1, page: 1, limit: 20, total_pages: 1 } }),
    json(200, { data: { ...NOTE, archived: true } }),
    sse({
      chunks: [
        'event: started\ndata: {"note_id": "n1"}\n\n',
        'event: delta\ndata: {"text": "Sum"}\n\n',
        'event: citation\ndata: {"source": "s", "quote": "q", "score": 0.5}\n\n',
        'event: finished\ndata: {"summary": "Sum", "usage": {"words": 1}}\n\n',
      ],
    }),
  );
  const client = new sdk.Notebook({ apiKey: 'nb-key', baseUrl: 'http://nb.test', fetch: f.fetch });
  const note = await client.notes.createNote({ title: 'T', tags: ['a'], priority: sdk.Priority.High });
  assert.deepEqual(note.attachments, [{ name: 'f', sizeBytes: 3 }]);
  assert.equal(f.calls[0]!.headers['x-notebook-token'], 'nb-key');
  assert.equal(f.calls[0]!.headers['user-agent'], 'notebook-typescript/0.0.1');
  assert.ok(f.calls[0]!.headers['idempotency-key']);
  const titles: string[] = [];
  for await (const n of client.notes.listNotes({ tag: 'a' })) titles.push(n.title);
  assert.deepEqual(titles, ['T']);
  assert.equal(f.calls[1]!.url.searchParams.get('tag'), 'a');
  const archived = await client.notes.archiveNote('n1', { reason: 'done' });
  assert.equal(archived.archived, true);
  assert.equal(f.calls[2]!.url.pathname, '/v1/notes/n1/archive');
  assert.deepEqual(f.calls[2]!.body, { reason: 'done' });
  const events = await client.notes.summarizeNote('n1', { maxWords: 10 }).toArray();
  assert.deepEqual(events.map((e: { type: string }) => e.type), ['started', 'delta', 'citation', 'finished']);
  assert.deepEqual(events[2], { type: 'citation', source: 's', quote: 'q', score: 0.5, eventId: undefined });
  assert.deepEqual(f.calls[3]!.body, { max_words: 10 });
  assert.ok(new sdk.NotFoundError({ status: 404, headers: new Headers() }) instanceof sdk.NotebookError);
});
