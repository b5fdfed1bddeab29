import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { z } from "zod";
import { LocalCloudError } from "./errors.js";

/** Kinds of resource local-cloud manages, with their id prefix. */
const KINDS = { bucket: "bucket", instance: "vm", database: "db" } as const;

/** A resource kind. */
export type Kind = keyof typeof KINDS;

/** A resource name: lowercase letters, digits and dashes, starting with a letter. */
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/** The resource id of a name (`bucket-assets`, `vm-web`, `db-orders`). */
export function resourceId(kind: Kind, name: string): string {
  return `${KINDS[kind]}-${name}`;
}

/** Accepts a name or an id of the given kind and returns the name. */
export function nameOf(kind: Kind, idOrName: string): string {
  const prefix = `${KINDS[kind]}-`;
  const name = idOrName.startsWith(prefix) ? idOrName.slice(prefix.length) : idOrName;
  if (!NAME_PATTERN.test(name))
    throw new LocalCloudError("NOT_FOUND", `"${idOrName}" is not a ${kind} name or id`, { [kind]: idOrName });
  return name;
}

/** Splits any resource id into its kind and name, or `undefined` when it is none of ours. */
export function parseResourceId(id: string): { kind: Kind; name: string } | undefined {
  for (const [kind, prefix] of Object.entries(KINDS) as [Kind, string][]) {
    if (id.startsWith(`${prefix}-`)) {
      const name = id.slice(prefix.length + 1);
      if (NAME_PATTERN.test(name)) return { kind, name };
    }
  }
  return undefined;
}

/** Where everything lives, under one state directory. */
export class StatePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get buckets(): string {
    return join(this.root, "buckets");
  }
  get compute(): string {
    return join(this.root, "compute");
  }
  get databases(): string {
    return join(this.root, "databases");
  }
  get snapshots(): string {
    return join(this.root, "snapshots");
  }
  get operations(): string {
    return join(this.root, "operations");
  }
  bucket(name: string): string {
    return join(this.buckets, name);
  }
  instance(name: string): string {
    return join(this.compute, `${name}.json`);
  }
  database(name: string): string {
    return join(this.databases, `${name}.sqlite`);
  }
  snapshot(id: string): string {
    return join(this.snapshots, id);
  }
  operation(executionId: string): string {
    return join(this.operations, `${encodeURIComponent(executionId)}.json`);
  }
  /** Creates every directory. */
  async ensure(): Promise<void> {
    for (const dir of [this.buckets, this.compute, this.databases, this.snapshots, this.operations])
      await mkdir(dir, { recursive: true });
  }
}

/** Writes JSON atomically (temp file, fsync, rename). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { fsync: true });
}

/** Reads and parses a JSON record with `schema`; `undefined` when the file does not exist. */
export async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LocalCloudError(
      "IO_FAILED",
      `cannot read ${path}: ${(error as Error).message}`,
      { path },
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalCloudError("IO_FAILED", `${path} is not JSON`, { path }, { cause: error });
  }
  const result = schema.safeParse(parsed);
  if (!result.success)
    throw new LocalCloudError(
      "IO_FAILED",
      `${path} is not a valid record: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      { path },
    );
  return result.data;
}

/** Names of the entries of `dir` (empty when it does not exist), sorted. */
export async function listNames(dir: string, suffix = ""): Promise<string[]> {
  try {
    const entries = await readdir(dir);
    return entries
      .filter((e) => e.endsWith(suffix) && !e.startsWith("."))
      .map((e) => e.slice(0, e.length - suffix.length))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Removes a file or directory tree; missing is fine. */
export async function remove(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Runs work one at a time per key (a resource), so two commands never change one resource at once. */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier piece of work of `key` has settled. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  /** Resolves when every queued piece of work has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
