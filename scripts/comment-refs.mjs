#!/usr/bin/env node
// Comments stand on their own: no comment in the repository's code names an issue number
// (a number sign and digits, or the word issue and a number) or a path outside the
// repository (a relative path that climbs above its root, or a home or work folder of the
// machine it was written on), because a reader of the code has neither. Reads every file git tracks (and untracked ones
// it does not ignore) by its ending: TypeScript and JavaScript comments through the
// TypeScript scanner (strings and templates are not comments), CSS, SQL, HTML, shell and
// YAML comments by their markers. Applied migrations are left out: their text is
// checksummed in schema_migrations, so even a comment edit would show as a changed migration.
// Prints each finding as file:line and exits 1 when any exists.
// Usage: node scripts/comment-refs.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = [/^backend\/migrations\//, /(^|\/)node_modules\//, /(^|\/)dist\//];

const ISSUE_RES = [/\bissues?\s*#?\d+/i, /(?:^|[\s([{,;:])#\d{1,5}(?![\w-])/];
const QUOTED_RE = /(?<![\p{L}\d])'[^'\n]*'(?![\p{L}\d])|"[^"\n]*"|`[^`\n]*`/gu;
const ABSOLUTE_RE = /(?:^|[\s(`'"=])(\/(?:work|home|root|tmp\/helper|Users)\/[^\s`'")]*)/;
const RELATIVE_RE = /(?:^|[\s(`'"=])((?:\.\.\/)+[\w.@-][^\s`'"),;]*)/g;

/** The comments of a file as [offset, text] pairs. */
function comments(file, text) {
  if (/\.(m|c)?[jt]sx?$/.test(file)) {
    const out = [];
    const variant = file.endsWith('x') ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard;
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, variant, text);
    for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
      if (k === ts.SyntaxKind.SingleLineCommentTrivia || k === ts.SyntaxKind.MultiLineCommentTrivia) out.push([scanner.getTokenPos(), scanner.getTokenText()]);
    }
    return out;
  }
  const res = /\.css$/.test(file)
    ? [/\/\*[\s\S]*?\*\//g]
    : /\.sql$/.test(file)
      ? [/--[^\n]*/g, /\/\*[\s\S]*?\*\//g]
      : /\.html$/.test(file)
        ? [/<!--[\s\S]*?-->/g]
        : /\.(sh|ya?ml)$|(^|\/)(Dockerfile|Makefile)$/.test(file)
          ? [/(?:^|\s)#[^\n]*/g]
          : [];
  return res.flatMap((re) => [...text.matchAll(re)].map((m) => [m.index, m[0]]));
}

/** The length of the white space a match starts with (its line is the next one's). */
const lead = (s) => s.length - s.trimStart().length;

/** What is wrong with one comment of `file`, as [offset in the comment, message] pairs. */
function problems(file, comment, isHash) {
  const out = [];
  // Quoted text is what a screen or a message said ('… #12', an id): blanked for the number check.
  const unquoted = comment.replace(QUOTED_RE, (q) => ' '.repeat(q.length));
  for (const [i, re] of ISSUE_RES.entries()) {
    if (isHash && i === 1) continue;
    const m = unquoted.match(re);
    if (m) {
      out.push([m.index + lead(m[0]), `issue number: ${m[0].trim()}`]);
      break;
    }
  }
  const abs = comment.match(ABSOLUTE_RE);
  if (abs) out.push([abs.index + lead(abs[0]), `path outside the repository: ${abs[1]}`]);
  for (const m of comment.matchAll(RELATIVE_RE)) {
    const rel = relative(ROOT, resolve(ROOT, dirname(file), m[1]));
    if (rel.startsWith('..') || isAbsolute(rel)) out.push([m.index + lead(m[0]), `path outside the repository: ${m[1]}`]);
  }
  return out;
}

function files() {
  const list = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return list.split('\n').filter((f) => f && !SKIP.some((re) => re.test(f)) && existsSync(resolve(ROOT, f)));
}

const found = [];
for (const file of files()) {
  const text = readFileSync(resolve(ROOT, file), 'utf8');
  // A shell or YAML comment starts with '#': there, '#12' is the marker and a number.
  const isHash = /\.(sh|ya?ml)$|(^|\/)(Dockerfile|Makefile)$/.test(file);
  for (const [at, comment] of comments(file, text)) {
    for (const [offset, p] of problems(file, comment, isHash)) {
      const line = text.slice(0, at + offset).split('\n').length;
      found.push(`${file}:${line}: ${p}`);
    }
  }
}
if (found.length) {
  console.log(`comments that do not stand on their own (${found.length}):\n${found.join('\n')}`);
  process.exit(1);
}
console.log('comments name no issue numbers and no paths outside the repository');
