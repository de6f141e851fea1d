// A command's shutdown is bounded: a close that never finishes does not keep the process up,
// and a second signal exits at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../db/environment.ts';

const dir = mkdtempSync(join(tmpdir(), 'firelink-shutdown-'));
let n = 0;

/** Runs `script` (a module importing ./backend/src/cli/shutdown.ts) in its own process. */
function child(script: string) {
  const file = join(dir, `child-${n++}.mts`);
  writeFileSync(file, script.replaceAll('./backend/src/cli/shutdown.ts', join(REPO_ROOT, 'backend/src/cli/shutdown.ts')));
  const p = spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  p.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const ready = new Promise<void>((r) => p.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && r()));
  return { p, ready, out: () => out };
}

// The child's close never resolves and keeps the event loop busy, like a stuck feature.
const STUCK = `
import { closeOnSignal } from './backend/src/cli/shutdown.ts';
setInterval(() => {}, 1000);
const done = closeOnSignal(() => new Promise(() => {}), (m) => console.log(m), 600);
console.log('ready');
await done;
console.log('returned');
`;

describe('bounded shutdown', () => {
  it('a close that never finishes: the command returns after the bound and the process exits', async () => {
    const c = child(STUCK);
    await c.ready;
    const t0 = Date.now();
    c.p.kill('SIGTERM');
    const [code] = (await once(c.p, 'exit')) as [number | null];
    const ms = Date.now() - t0;
    assert.ok(ms < 8000, `exited after ${ms} ms`);
    assert.equal(code, 1);
    assert.match(c.out(), /SIGTERM: shutting down \(at most 0\.6 s/);
    assert.match(c.out(), /shutdown still running after 0\.6 s: exiting anyway/);
    assert.match(c.out(), /returned/);
  });

  it('a second signal exits at once', async () => {
    const c = child(STUCK.replace('600);', '60000);'));
    await c.ready;
    c.p.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    c.p.kill('SIGINT');
    const [code] = (await once(c.p, 'exit')) as [number | null];
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(code, 130);
    assert.match(c.out(), /SIGINT again: exiting now/);
    assert.doesNotMatch(c.out(), /returned/);
  });

  it('a close that finishes: the command returns without waiting for the bound', async () => {
    const c = child(`
import { closeOnSignal } from './backend/src/cli/shutdown.ts';
const server = setInterval(() => {}, 1000);
const done = closeOnSignal(async () => { clearInterval(server); console.log('closed'); }, (m) => console.log(m), 60000);
console.log('ready');
await done;
console.log('returned');
`);
    await c.ready;
    const t0 = Date.now();
    c.p.kill('SIGTERM');
    const [code] = (await once(c.p, 'exit')) as [number | null];
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(code, 0);
    assert.match(c.out(), /closed\n[\s\S]*returned/);
  });
});
