/**
 * A key-value database provider written with `@espada/infra-sdk` alone: see {@link KvProvider}
 * (class) and {@link createSimpleKvProvider} (callbacks).
 * @packageDocumentation
 */
export { KvProvider, kvMeta } from "./kvProvider.js";
export type { KvProviderOptions } from "./kvProvider.js";
export { createSimpleKvProvider } from "./simpleKvProvider.js";
export { InMemoryKvBackend, ENGINES } from "./backend.js";
export type { Database, Engine } from "./backend.js";
export { createDatabase, listDatabases, resizeDatabase, deleteDatabase, rotatePassword } from "./commands.js";
