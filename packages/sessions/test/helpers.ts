import { afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary directory and its cleanup. */
export function tempDir(prefix = "espada-sessions-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A settable clock. */
export function fakeClock(start = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
  set: (t: number) => void;
} {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (v) => (t = v) };
}

/**
 * Registers an `afterEach` that runs every deferred cleanup, newest first (stores close before
 * their directories go), and returns `defer` plus `dir`, a fresh temporary directory removed then.
 */
export function cleanupAfterEach(prefix?: string): {
  defer: (cleanup: () => Promise<void> | void) => void;
  dir: () => string;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    defer: (cleanup) => cleanups.push(cleanup),
    dir: () => {
      const d = tempDir(prefix);
      cleanups.push(d.cleanup);
      return d.path;
    },
  };
}
