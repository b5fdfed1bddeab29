import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { createAllowAllGate } from "@espada/infra-core";
import type {
  AuditSink,
  InfrastructureEventMap,
  InfrastructureEventType,
  SecurityGate,
} from "@espada/infra-core";
import { InfrastructureLoggerImpl } from "@espada/infra-logging";
import { InfrastructureProviderRegistry, createCommandExecutor } from "@espada/infra-registry";
import type { InfrastructureCommandExecutor } from "@espada/infra-registry";
import { createInfrastructureSessionManager } from "@espada/infra-sessions";
import type { InfrastructureSessionManager, SessionManagerOptions } from "@espada/infra-sessions";
import { exampleProviderFactory, meta } from "./exampleProvider.js";
import type { ProviderRun } from "./exampleProvider.js";

/** The API key every stack authenticates with: must never reach a file in clear. */
export const API_KEY = "ak-live-7f3c9e21d4b8a6f0QXZ";
/** Instance id of the example provider in every stack. */
export const INSTANCE_ID = "cloud-1";

/** A temp folder under `os.tmpdir()` holding a state directory and a log file. */
export interface Workspace {
  readonly root: string;
  readonly stateDir: string;
  readonly logFile: string;
  /** Every file under `root`, concatenated (raw bytes as latin1, so nothing is decoded away). */
  readAll(): Promise<string>;
  remove(): Promise<void>;
}

/** Creates a {@link Workspace}. */
export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "espada-it-"));
  const readAll = async (): Promise<string> => {
    const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const parts = await Promise.all(files.map((f) => readFile(join(f.parentPath, f.name), "latin1")));
    return parts.join("\n");
  };
  return {
    root,
    stateDir: join(root, "state"),
    logFile: join(root, "logs", "infra.log"),
    readAll,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Options of {@link openStack}. */
export interface StackOptions {
  readonly workspace: Workspace;
  /** Where the provider records its calls (shared across restarts). */
  readonly runs: ProviderRun[];
  readonly gate?: SecurityGate;
  readonly audit?: AuditSink;
  readonly sessionConfig?: SessionManagerOptions["sessionConfig"];
  readonly now?: () => number;
  /** Regular-expression sources the logger redacts. */
  readonly redactPatterns?: readonly string[];
}

/** One running framework: registry + lifecycle, file-backed sessions, executor, file logger, one bus. */
export interface Stack {
  readonly registry: InfrastructureProviderRegistry;
  readonly sessions: InfrastructureSessionManager;
  readonly executor: InfrastructureCommandExecutor;
  readonly logger: InfrastructureLoggerImpl;
  /** Transport failures the logger reported (expected to stay empty). */
  readonly loggingErrors: readonly string[];
  /** Events seen on the shared bus, in order. */
  readonly seen: { type: InfrastructureEventType; event: InfrastructureEventMap[InfrastructureEventType] }[];
  /** Closes executor, registry, sessions and logger, in that order (once: a second call does nothing). */
  close(): Promise<void>;
}

/** Wires the whole stack the way the plugin shell will, over the workspace's state dir and log file. */
export async function openStack(options: StackOptions): Promise<Stack> {
  const { workspace } = options;
  const loggingErrors: string[] = [];
  const logger = new InfrastructureLoggerImpl(
    {
      level: "trace",
      destinations: [{ type: "file", config: { path: workspace.logFile } }],
      redactPatterns: [...(options.redactPatterns ?? [])],
    },
    { onError: (error, source) => loggingErrors.push(`${source}: ${error.message}`) },
  );
  const registry = new InfrastructureProviderRegistry({
    logger,
    lifecycle: { healthCheckInterval: 3_600_000 },
  });
  const events = registry.events;
  const seen: Stack["seen"] = [];
  events.on("*", (type, event) => seen.push({ type, event }));
  const sessions = await createInfrastructureSessionManager({
    stateDirectory: workspace.stateDir,
    sessionConfig: options.sessionConfig ?? {},
    events,
    logger,
    env: {},
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  registry.registerFactory(meta, exampleProviderFactory(options.runs));
  await registry.createAndInitializeProvider(meta.id, {
    instanceId: INSTANCE_ID,
    auth: { method: "api-key", credentials: { apiKey: API_KEY } },
  });
  const executor = createCommandExecutor({
    providers: registry,
    gate: options.gate ?? createAllowAllGate(),
    sessions,
    events,
    logger,
    config: { execution: { retryDelay: 1 } },
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  });
  let closed = false;
  return {
    registry,
    sessions,
    executor,
    logger,
    loggingErrors,
    seen,
    async close() {
      if (closed) return;
      closed = true;
      await executor.close();
      await registry.shutdown();
      await sessions.close();
      await logger.close();
    },
  };
}

/** A fresh {@link Workspace} for each test of a suite, and the stacks the test opens over it. */
export interface StackPerTest {
  /** The running test's workspace. */
  readonly workspace: Workspace;
  /** What the provider ran during the running test (kept across its restarts). */
  readonly runs: ProviderRun[];
  /** Opens a stack over the running test's workspace; after the test it is closed if still open. */
  open(options?: Omit<StackOptions, "workspace" | "runs">): Promise<Stack>;
}

/**
 * Registers, in the calling `describe`, a new workspace before each test and, after it, the close
 * of every stack the test opened and the removal of the workspace.
 */
export function useStackPerTest(): StackPerTest {
  let current: Workspace | undefined;
  const runs: ProviderRun[] = [];
  const opened: Stack[] = [];
  beforeEach(async () => {
    current = await createWorkspace();
    runs.length = 0;
  });
  afterEach(async () => {
    for (const stack of opened.splice(0)) await stack.close();
    await current?.remove();
    current = undefined;
  });
  const workspace = (): Workspace => {
    if (current === undefined) throw new Error("the workspace exists only while a test runs");
    return current;
  };
  return {
    get workspace() {
      return workspace();
    },
    runs,
    async open(options = {}) {
      const stack = await openStack({ ...options, workspace: workspace(), runs });
      opened.push(stack);
      return stack;
    },
  };
}

/** The event types seen, in order, optionally only those starting with `prefix`. */
export function typesOf(stack: Stack, prefix = ""): InfrastructureEventType[] {
  return stack.seen.map((s) => s.type).filter((t) => t.startsWith(prefix));
}
