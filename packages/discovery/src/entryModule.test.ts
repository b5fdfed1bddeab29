import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { types } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { loadEntryModule } from "./entryModule.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (name → source) into a new folder and returns its path. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "espada-entry-"));
  dirs.push(dir);
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return dir;
}

describe("loadEntryModule", () => {
  it("loads an ES module entry and its imports, as a module namespace", async () => {
    const dir = folder({
      "index.mjs":
        'import { meta } from "./meta.mjs";\nexport { meta };\nexport const createProvider = () => "made";',
      "meta.mjs": 'export const meta = { id: "echo" };',
    });
    const loaded = await loadEntryModule(join(dir, "index.mjs"));
    expect(types.isModuleNamespaceObject(loaded)).toBe(true);
    expect(loaded).toMatchObject({ meta: { id: "echo" } });
    expect((loaded as { createProvider: () => string }).createProvider()).toBe("made");
  });

  it("loads a .js entry with module syntax and no package type, as Node's import() does", async () => {
    const dir = folder({ "index.js": "export const meta = { id: 'typeless' };" });
    expect(await loadEntryModule(join(dir, "index.js"))).toMatchObject({ meta: { id: "typeless" } });
  });

  it("gives a CommonJS entry the namespace import() gives: a default and its named exports", async () => {
    const dir = folder({ "index.cjs": "exports.meta = { id: 'cjs' };\nexports.createProvider = () => 1;" });
    // (Under vitest, import() is vitest's: the namespace is checked by its contents.)
    expect(await loadEntryModule(join(dir, "index.cjs"))).toMatchObject({
      meta: { id: "cjs" },
      default: { meta: { id: "cjs" } },
    });
  });

  it("imports an entry with top-level await, which require() cannot load", async () => {
    const dir = folder({ "index.mjs": "await Promise.resolve();\nexport const meta = { id: 'later' };" });
    expect(await loadEntryModule(join(dir, "index.mjs"))).toMatchObject({ meta: { id: "later" } });
  });

  it("rejects with the module's own error when it throws, and when it is missing", async () => {
    const dir = folder({ "index.mjs": 'throw new Error("provider module broke");' });
    await expect(loadEntryModule(join(dir, "index.mjs"))).rejects.toThrow("provider module broke");
    await expect(loadEntryModule(join(dir, "missing.mjs"))).rejects.toThrow(/missing\.mjs/);
  });
});
