/**
 * The built package: ESM and CommonJS entry points through the `exports` map, with types; and the
 * package as npm ships it, packed from a clean checkout and installed (offline) into fresh ESM and
 * CommonJS projects, its types checked by arethetypeswrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
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

// -- the package as npm ships it -------------------------------------------------------------

/** Run a command; its output when it fails. */
function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.equal(result.status, 0, `${cmd} ${args.join(' ')} in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The files of a clean checkout: what git tracks here, without dist/ or build/. */
const CHECKOUT = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.esm.json', 'tsconfig.cjs.json', 'README.md', 'LICENSE', 'api.md', 'src'];

test('package: npm pack from a clean checkout builds, and the tarball imports from fresh ESM and CommonJS projects', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
  try {
    const checkout = join(root, 'checkout');
    mkdirSync(checkout);
    for (const entry of CHECKOUT) cpSync(join(SDK, entry), join(checkout, entry), { recursive: true });
    // What `npm ci` would install in the checkout (the build needs typescript).
    symlinkSync(join(SDK, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    assert.equal(existsSync(join(checkout, 'dist')), false);
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', root], checkout)) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    for (const file of ['package.json', 'README.md', 'LICENSE', 'api.md', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
      assert.ok(files.includes(file), `${file} is not in the tarball: ${files.join(', ')}`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('build/') || f.startsWith('node_modules/')));
    const tarball = join(root, packed!.filename);

    const check = `const client = new sdk.PromptRails({ apiKey: 'k', fetch: async () => new Response('{}') });
if (typeof client.chat.sendMessageStream !== 'function') throw new Error('no chat resource');
if (!(new sdk.NotFoundError({ status: 404, headers: new Headers() }) instanceof sdk.PromptRailsError)) throw new Error('no error tree');
console.log('imported', client.baseUrl);`;
    for (const [kind, file, source] of [
      ['module', 'check.mjs', `import * as sdk from '@promptrails/sdk';\n${check}`],
      ['commonjs', 'check.cjs', `const sdk = require('@promptrails/sdk');\n${check}`],
    ] as const) {
      const project = join(root, kind);
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `fresh-${kind}`, private: true, type: kind }));
      run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project);
      writeFileSync(join(project, file), source);
      assert.match(run(process.execPath, [file], project), /^imported https:\/\/api\.promptrails\.ai$/m);
    }

    // arethetypeswrong: the types resolve, and match the JavaScript, for every resolution mode.
    const attw = run(join(SDK, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'json'], root);
    const report = JSON.parse(attw) as { analysis: { problems: unknown[] } };
    assert.deepEqual(report.analysis.problems, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
