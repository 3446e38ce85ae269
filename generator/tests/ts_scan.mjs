// Tokenise TypeScript files with TypeScript's own scanner, for test_typescript_injection.py.
//
//   node ts_scan.mjs <path of the typescript package> <file>...
//
// Prints JSON: per file, its tokens as [kind, text] pairs, comments and white space left out
// (the scanner's trivia), string literals as [kind, null] (their contents may differ between
// the two specs compared), the values of those string literals, and every error the scanner
// reported.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const [typescriptPath, ...files] = process.argv.slice(2);
const ts = createRequire(import.meta.url)(typescriptPath);
const LITERALS = new Set([ts.SyntaxKind.StringLiteral]);
const out = {};
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const errors = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text, (message, length) =>
    errors.push(`${message.message} at ${scanner.getTokenStart()} (+${length})`),
  );
  const tokens = [];
  const strings = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    tokens.push([ts.SyntaxKind[kind], LITERALS.has(kind) ? null : scanner.getTokenText()]);
    if (LITERALS.has(kind)) strings.push(scanner.getTokenValue());
  }
  out[file] = { tokens, strings, errors };
}
process.stdout.write(JSON.stringify(out));
