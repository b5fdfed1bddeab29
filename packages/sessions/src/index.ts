/**
 * @espada/infra-sessions — durable state stores (memory, file) and the session manager.
 * @packageDocumentation
 */
export { InMemoryStateStore, createInMemoryStateStore } from "./memoryStateStore.js";
export type { InMemoryStateStoreOptions } from "./memoryStateStore.js";
export { FileStateStore, createFileStateStore, fileStateStoreOptionsSchema } from "./fileStateStore.js";
export type { FileStateStoreOptions, FileStoreIo } from "./fileStateStore.js";
export { EngineStateStore } from "./engineStore.js";
export { STATE_FORMAT, STATE_FORMAT_VERSION } from "./fileFormat.js";
export type { StoreProblem, StoreProblemKind, ProblemListener } from "./problems.js";
export {
  EncryptionKeyring,
  ENCRYPTION_KEY_ENV,
  KEYRING_FILE,
  keyringConfigSchema,
  sealedValueSchema,
} from "./keyring.js";
export type { AssociatedText, KeyringConfig, SealedValue, KeyringOptions } from "./keyring.js";
export {
  StateSessionStorage,
  InMemorySessionStorage,
  FileSessionStorage,
  SESSION_KEY_PREFIX,
  createInMemorySessionStorage,
  createFileSessionStorage,
} from "./sessionStorage.js";
export type {
  SessionStorage,
  VersionedSession,
  SessionWriteOptions,
  StateSessionStorageOptions,
  FileSessionStorageOptions,
} from "./sessionStorage.js";
export {
  InfrastructureSessionManager,
  createInfrastructureSessionManager,
  sessionManagerConfigSchema,
} from "./sessionManager.js";
export { createSessionInputSchema } from "./createInput.js";
export type { CreateSessionInput } from "./createInput.js";
export type {
  SessionManagerConfig,
  SessionManagerOptions,
  SessionFilter,
  SessionHandle,
} from "./sessionManager.js";
