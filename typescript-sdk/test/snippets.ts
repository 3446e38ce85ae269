/**
 * Compile documentation code (the seed's and the README's ```typescript blocks) with the
 * TypeScript compiler in strict mode against the SDK's types, then run it.
 *
 * The blocks run in order in one async function (so later blocks see earlier variables);
 * `import` lines are hoisted and `@promptrails/sdk` points at the SDK under test. The
 * function receives the fixtures the docs assume (`client`, ...) as parameters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const BUILD = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The bodies of the fenced blocks of `lang` (```typescript, ```ts) in a Markdown text. */
export function codeBlocks(markdown: string, langs: string[] = ['typescript', 'ts']): string[] {
  const blocks: string[] = [];
  const re = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    if (langs.includes(m[1]!)) blocks.push(m[2]!);
  }
  return blocks;
}

/**
 * Type-check and compile `blocks` as the body of `run(fixtures)`; returns `run`.
 * `fixtures` maps each fixture's name to its TypeScript type (e.g. `client: 'PromptRails'`).
 */
export async function compileSnippets(
  name: string,
  blocks: string[],
  fixtures: Record<string, string>,
): Promise<(values: Record<string, unknown>) => Promise<void>> {
  const imports: string[] = [];
  const body: string[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      if (/^import\s/.test(line)) imports.push(line.replace(/(['"])@promptrails\/sdk\1/, "'../src/index.js'"));
      else body.push(line);
    }
  }
  const params = Object.entries(fixtures).map(([k, type]) => `${k}: ${type}`).join(', ');
  const source = [
    ...(imports.some((l) => /\bPromptRails\b/.test(l)) ? [] : ["import type { PromptRails } from '../src/index.js';"]),
    ...imports,
    '',
    `export async function run(${params ? `{ ${Object.keys(fixtures).join(', ')} }: { ${params} }` : '_: Record<string, never>'}): Promise<void> {`,
    ...body.map((l) => (l ? `  ${l}` : l)),
    '}',
    '',
  ].join('\n');
  const dir = join(BUILD, 'snippets');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noUnusedLocals: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    skipLibCheck: true,
    outDir: dir,
    rootDir: dir,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(program.emit().diagnostics);
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
    throw new Error(`${name}: the code does not compile:\n${ts.formatDiagnostics(diagnostics, host)}\n${source}`);
  }
  const mod = (await import(pathToFileURL(join(dir, `${name}.js`)).href)) as { run: (v: Record<string, unknown>) => Promise<void> };
  return mod.run;
}

/** Run `fn` with console.log and process.stdout.write captured; returns what they printed. */
export async function captureOutput(fn: () => Promise<void>): Promise<string> {
  let out = '';
  const log = console.log;
  const write = process.stdout.write;
  console.log = (...args: unknown[]) => {
    out += args.map(String).join(' ') + '\n';
  };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    console.log = log;
    process.stdout.write = write;
  }
  return out;
}
