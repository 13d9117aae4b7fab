// Actors get time, timers and randomness from the runtime (ActorContext.now,
// setTimer, random), never from the process: that is what lets the
// simulation run them on a virtual clock with a seed (docs/consensus.md).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../src/actors/', import.meta.url).pathname;
const FORBIDDEN = /\b(Date\.now|performance\.now|setTimeout|setInterval|setImmediate|queueMicrotask|Math\.random)\s*\(|\bnew Date\(\)/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('actors use the runtime clock', () => {
  it('no file under src/actors reads the clock, starts a timer or draws a random number itself', () => {
    const found: string[] = [];
    for (const f of files(ROOT)) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*\*/.test(code)) return; // doc comment
        if (FORBIDDEN.test(code)) found.push(`${f.slice(ROOT.length - 'src/actors/'.length)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('the check finds a planted clock read', () => {
    expect(FORBIDDEN.test('  const t = Date.now();')).toBe(true);
    expect(FORBIDDEN.test('  ctx.setTimer("x", 5, m);')).toBe(false);
  });
});
