import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { LocalCloudError } from "./errors.js";

/**
 * The program every compute replica runs (`node --input-type=module -e`): it answers pings over the
 * IPC channel with its pid, uptime and memory, and exits when the channel closes (so a replica never
 * outlives the provider that started it, even when that process is killed).
 */
export const WORKER_SOURCE = `
const started = Date.now();
let served = 0;
process.on("message", (m) => {
  if (m && m.type === "ping") {
    served += 1;
    process.send({ type: "pong", id: m.id, pid: process.pid, uptimeMs: Date.now() - started, rss: process.memoryUsage().rss, served });
  }
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
process.send({ type: "ready", pid: process.pid });
`;

/** How a replica ended. */
export interface ReplicaExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One running (or ended) replica process. */
export interface Replica {
  readonly instance: string;
  readonly index: number;
  readonly pid: number;
  readonly startedAt: number;
  /** Set once the process has exited. */
  readonly exit: ReplicaExit | undefined;
  /** True when the supervisor asked it to stop. */
  readonly stopping: boolean;
}

/** What a ping of a replica found. */
export type ReplicaHealth =
  | {
      readonly index: number;
      readonly pid: number;
      readonly alive: true;
      readonly uptimeMs: number;
      readonly rss: number;
    }
  | { readonly index: number; readonly pid: number; readonly alive: false; readonly reason: string };

interface Running {
  readonly replica: { -readonly [K in keyof Replica]: Replica[K] };
  readonly child: ChildProcess;
  readonly exited: Promise<ReplicaExit>;
}

/** Options of {@link ProcessSupervisor}. */
export interface SupervisorOptions {
  /** Grace period between SIGTERM and SIGKILL when stopping a replica (ms). Default 5 000. */
  readonly stopGraceMs?: number;
  /** How long a ping may take before the replica counts as unresponsive (ms). Default 2 000. */
  readonly pingTimeoutMs?: number;
}

/** Starts, stops, scales and pings the replica processes of compute instances. */
export class ProcessSupervisor {
  readonly #instances = new Map<string, Running[]>();
  readonly #stopGraceMs: number;
  readonly #pingTimeoutMs: number;
  #pingSeq = 0;

  constructor(options: SupervisorOptions = {}) {
    this.#stopGraceMs = options.stopGraceMs ?? 5_000;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  }

  /** The replicas of an instance (running and exited, not stopped ones). */
  replicas(instance: string): readonly Replica[] {
    return (this.#instances.get(instance) ?? []).map((r) => ({ ...r.replica }));
  }

  /** Pids of every live replica of every instance. */
  livePids(): number[] {
    return [...this.#instances.values()]
      .flat()
      .filter((r) => r.replica.exit === undefined)
      .map((r) => r.replica.pid);
  }

  /** Instances that have at least one replica entry. */
  instances(): string[] {
    return [...this.#instances.keys()].sort();
  }

  /**
   * Brings `instance` to `count` live replicas: replaces exited ones, starts missing ones (each awaited
   * until it says ready), stops extra ones (highest index first). `onStep` hears each replica started
   * or stopped. On abort the replicas started by this call are stopped again and `CANCELLED` is thrown.
   */
  async scale(
    instance: string,
    count: number,
    signal: AbortSignal,
    onStep: (message: string) => void = () => undefined,
  ): Promise<readonly Replica[]> {
    const list = this.#instances.get(instance) ?? [];
    this.#instances.set(instance, list);
    // Forget replicas that ended (their exit is reported by health until the instance is reconciled).
    for (const dead of list.filter((r) => r.replica.exit !== undefined)) list.splice(list.indexOf(dead), 1);
    const started: Running[] = [];
    try {
      while (list.length < count) {
        if (signal.aborted)
          throw new LocalCloudError(
            "CANCELLED",
            `starting ${instance} was cancelled`,
            { instance },
            { cause: signal.reason },
          );
        const index = nextIndex(list);
        const running = await this.#spawn(instance, index, signal);
        list.push(running);
        started.push(running);
        onStep(`replica ${index} of ${instance} started (pid ${running.replica.pid})`);
      }
    } catch (error) {
      for (const r of started) list.splice(list.indexOf(r), 1);
      await Promise.all(started.map((r) => this.#stop(r)));
      if (list.length === 0) this.#instances.delete(instance);
      throw error;
    }
    while (list.length > count) {
      const victim = list.reduce((a, b) => (b.replica.index > a.replica.index ? b : a));
      list.splice(list.indexOf(victim), 1);
      await this.#stop(victim);
      onStep(`replica ${victim.replica.index} of ${instance} stopped (pid ${victim.replica.pid})`);
    }
    if (list.length === 0) this.#instances.delete(instance);
    return list.map((r) => ({ ...r.replica }));
  }

  /** Stops every replica of `instance` (SIGTERM, SIGKILL after the grace period) and awaits their exit. */
  async stopInstance(instance: string): Promise<void> {
    const list = this.#instances.get(instance) ?? [];
    this.#instances.delete(instance);
    await Promise.all(list.map((r) => this.#stop(r)));
  }

  /** Stops every replica of every instance. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((name) => this.stopInstance(name)));
  }

  /** Pings every replica of `instance` over IPC; an exited or silent replica is not alive. */
  async health(instance: string): Promise<ReplicaHealth[]> {
    const list = this.#instances.get(instance) ?? [];
    return Promise.all(list.map((r) => this.#ping(r)));
  }

  #spawn(instance: string, index: number, signal: AbortSignal): Promise<Running> {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", WORKER_SOURCE, "local-cloud-replica", instance, String(index)],
      {
        stdio: ["ignore", "ignore", "ignore", "ipc"],
        env: {
          PATH: process.env["PATH"] ?? "",
          LOCAL_CLOUD_INSTANCE: instance,
          LOCAL_CLOUD_REPLICA: String(index),
        },
      },
    );
    const exited = new Promise<ReplicaExit>((resolve) => {
      child.once("exit", (code, sig) => resolve({ code, signal: sig }));
      // A spawn failure emits "error" and may never emit "exit".
      child.once("error", () => resolve({ code: null, signal: null }));
    });
    const running: Running = {
      replica: {
        instance,
        index,
        pid: child.pid ?? -1,
        startedAt: Date.now(),
        exit: undefined,
        stopping: false,
      },
      child,
      exited,
    };
    void exited.then((exit) => {
      running.replica.exit = exit;
    });
    return new Promise<Running>((resolve, reject) => {
      const cleanup = (): void => {
        child.off("message", onMessage);
        signal.removeEventListener("abort", onAbort);
      };
      const onMessage = (m: unknown): void => {
        if (typeof m === "object" && m !== null && (m as { type?: unknown }).type === "ready") {
          cleanup();
          resolve(running);
        }
      };
      const onAbort = (): void => {
        cleanup();
        void this.#stop(running).then(() =>
          reject(
            new LocalCloudError(
              "CANCELLED",
              `starting ${instance} was cancelled`,
              { instance },
              { cause: signal.reason },
            ),
          ),
        );
      };
      child.on("message", onMessage);
      signal.addEventListener("abort", onAbort, { once: true });
      void exited.then((exit) => {
        if (running.replica.stopping) return;
        cleanup();
        reject(
          new LocalCloudError(
            "SPAWN_FAILED",
            `replica ${index} of ${instance} exited before it was ready (code ${exit.code}, signal ${exit.signal})`,
            { instance, index },
          ),
        );
      });
    });
  }

  async #stop(r: Running): Promise<void> {
    r.replica.stopping = true;
    if (r.replica.exit !== undefined) return;
    r.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#stopGraceMs);
      timer.unref();
    });
    const first = await Promise.race([r.exited, forced]);
    clearTimeout(timer);
    if (first === "timeout") r.child.kill("SIGKILL");
    await r.exited;
    if (r.child.connected) r.child.disconnect();
  }

  #ping(r: Running): Promise<ReplicaHealth> {
    const { index, pid } = r.replica;
    const dead = (exit: ReplicaExit): ReplicaHealth => ({
      index,
      pid,
      alive: false,
      reason: `exited (${exit.signal === null ? `code ${exit.code}` : exit.signal})`,
    });
    if (r.replica.exit !== undefined) return Promise.resolve(dead(r.replica.exit));
    if (!r.child.connected) return r.exited.then(dead);
    this.#pingSeq += 1;
    const id = this.#pingSeq;
    return new Promise<ReplicaHealth>((resolve) => {
      const timer = setTimeout(
        () => finish({ index, pid, alive: false, reason: `no answer within ${this.#pingTimeoutMs} ms` }),
        this.#pingTimeoutMs,
      );
      timer.unref();
      const onMessage = (m: unknown): void => {
        const pong = m as { type?: unknown; id?: unknown; uptimeMs?: unknown; rss?: unknown };
        if (pong.type === "pong" && pong.id === id)
          finish({ index, pid, alive: true, uptimeMs: Number(pong.uptimeMs), rss: Number(pong.rss) });
      };
      const finish = (health: ReplicaHealth): void => {
        clearTimeout(timer);
        r.child.off("message", onMessage);
        resolve(health);
      };
      r.child.on("message", onMessage);
      void r.exited.then((exit) => finish(dead(exit)));
      try {
        r.child.send({ type: "ping", id }, (error) => {
          if (error !== null) void r.exited.then((exit) => finish(dead(exit)));
        });
      } catch {
        void r.exited.then((exit) => finish(dead(exit)));
      }
    });
  }
}

function nextIndex(list: readonly Running[]): number {
  const used = new Set(list.map((r) => r.replica.index));
  let i = 0;
  while (used.has(i)) i += 1;
  return i;
}
