// Test helpers: plugin directories, provider modules and a local HTTP server playing a remote index.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A valid provider meta input for `id`. */
export function meta(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: id,
    displayName: id.toUpperCase(),
    description: `${id} provider`,
    version: "1.0.0",
    category: "cloud",
    capabilities: ["provision"],
    supportedResources: ["compute"],
    authMethods: ["api-key"],
    tags: [],
    ...overrides,
  };
}

/**
 * Source of a self-contained ES module exporting `meta` and `createProvider`; loading it bumps
 * `globalThis.__espadaLoads[id]`, so a test can tell whether plugin code ran.
 */
export function providerModule(moduleMeta: Record<string, unknown>, exportName?: string): string {
  const body = `
const meta = ${JSON.stringify(moduleMeta)};
globalThis.__espadaLoads ??= {};
globalThis.__espadaLoads[meta.id] = (globalThis.__espadaLoads[meta.id] ?? 0) + 1;
function createProvider(options) {
  let state = "uninitialized";
  const go = (next) => { state = next; };
  return {
    meta,
    get state() { return state; },
    instanceId: options.instanceId,
    async initialize() { go("initializing"); go("ready"); },
    async start() { go("active"); },
    async stop() { go("suspending"); go("suspended"); },
    async destroy() { go("terminating"); go("terminated"); },
    async healthCheck() { return { status: "healthy", checks: [{ name: "plugin", status: "healthy" }], checkedAt: Date.now() }; },
    async validateConfig() { return { valid: true, errors: [], warnings: [] }; },
    getCommands() { return []; },
    async executeCommand() { return { success: true, data: { from: meta.id } }; },
    hasCapability(c) { return meta.capabilities.includes(c); },
    supportsResource(r) { return meta.supportedResources.includes(r); },
    getResources() { return []; },
    onLifecycle() { return () => {}; },
  };
}
`;
  return exportName === undefined
    ? `${body}export { meta, createProvider };\n`
    : `${body}export const ${exportName} = { meta, createProvider };\n`;
}

/** How many times the module of provider `id` was loaded in this process. */
export function loads(id: string): number {
  const counts = (globalThis as { __espadaLoads?: Record<string, number> }).__espadaLoads;
  return counts?.[id] ?? 0;
}

/** Writes `files` (relative path → content; objects become JSON) under `dir`. */
export function writeFiles(dir: string, files: Readonly<Record<string, string | object>>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  }
}

/** A manifest for `name` declaring one provider per id, each with entry `./<id>.js`. */
export function manifest(
  name: string,
  ids: readonly string[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    version: "1.0.0",
    frameworkVersion: ">=0.0.0",
    providers: ids.map((id) => ({ meta: meta(id), entry: `./${id}.js` })),
    ...overrides,
  };
}

/** Writes a complete plugin directory: the manifest (under `manifestName`) and one module per provider. */
export function writePlugin(
  dir: string,
  name: string,
  ids: readonly string[],
  manifestName = "infrastructure.plugin.json",
): void {
  const files: Record<string, string | object> = { [manifestName]: manifest(name, ids) };
  for (const id of ids) files[`${id}.js`] = providerModule(meta(id));
  writeFiles(dir, files);
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix = "espada-discovery-"): { readonly dir: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A request the test server received. */
export interface SeenRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A local HTTP server on 127.0.0.1 (port 0) serving fixed routes. */
export interface TestServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Sets (or replaces) a route: a body, or a status with an optional body. */
  route(
    path: string,
    response: {
      readonly status?: number;
      readonly body?: string | Buffer;
      readonly headers?: Record<string, string>;
    },
  ): void;
  close(): Promise<void>;
}

/** Starts a {@link TestServer}. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<
    string,
    { status?: number; body?: string | Buffer; headers?: Record<string, string> }
  >();
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", headers: req.headers });
    const route = routes.get(req.url ?? "");
    if (route === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(route.status ?? 200, { "content-type": "application/json", ...route.headers });
    res.end(route.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (path, response) => routes.set(path, response),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
