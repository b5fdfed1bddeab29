import type { InfrastructureEventBus, ResourceEvent, Unsubscribe } from "@espada/infra-core";
import { InfrastructureError } from "@espada/infra-core";
import type { InfrastructureStatusUpdater, OperationStatus } from "./statusUpdater.js";

/** A resource as the conversation sees it. */
export interface ResourceSnapshot {
  readonly id: string;
  /** A core resource type (`compute`, `database`, …) or a provider's own. */
  readonly type: string;
  readonly name?: string;
  readonly providerId?: string;
  readonly instanceId?: string;
  readonly environment?: string;
  /** Provider-defined (`running`, `stopped`, …). */
  readonly status?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** Where the state provider reads resources from (a catalogue of provider instances fits). */
export interface ResourceSource {
  listResources(signal?: AbortSignal): Promise<readonly ResourceSnapshot[]>;
}

/** How a metric query folds its points. */
export const METRIC_AGGREGATES = ["latest", "avg", "min", "max", "sum", "count", "p95"] as const;
/** A metric aggregate. */
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

/** A metric query. */
export interface MetricQuery {
  readonly resourceId: string;
  readonly metric: string;
  /** Look-back window in ms (default: everything kept). */
  readonly windowMs?: number;
  /** Default `latest`. */
  readonly aggregate?: MetricAggregate;
}

/** The answer to a metric query; `value` is undefined when no point falls in the window. */
export interface MetricResult {
  readonly resourceId: string;
  readonly metric: string;
  readonly aggregate: MetricAggregate;
  readonly value: number | undefined;
  readonly points: number;
  readonly from: number;
  readonly to: number;
}

/** A live snapshot of the infrastructure. */
export interface StateSnapshot {
  readonly takenAt: number;
  readonly resources: readonly ResourceSnapshot[];
  /** Running operations with their progress. */
  readonly activeOperations: readonly OperationStatus[];
  /** The latest value of every metric series. */
  readonly metrics: readonly { resourceId: string; metric: string; value: number; at: number }[];
}

/** A change the state provider tells subscribers about. */
export type StateChange =
  | { readonly kind: "resource-upserted"; readonly resource: ResourceSnapshot }
  | { readonly kind: "resource-removed"; readonly resourceId: string }
  | {
      readonly kind: "metric";
      readonly resourceId: string;
      readonly metric: string;
      readonly value: number;
      readonly at: number;
    }
  | { readonly kind: "operation"; readonly operation: OperationStatus };

/** Options of {@link InfrastructureStateProvider}. */
export interface StateProviderOptions {
  readonly sources?: readonly ResourceSource[];
  readonly now?: () => number;
  /** Points older than this are dropped. Default 24 h. */
  readonly metricRetentionMs?: number;
  /** At most this many points per series (oldest dropped). Default 1 000. */
  readonly maxPointsPerSeries?: number;
  readonly onListenerError?: (error: unknown) => void;
}

interface Series {
  times: number[];
  values: number[];
}

/**
 * `InfrastructureStateProvider`: a live snapshot of infrastructure state — resources (pulled from
 * sources, or pushed by the executor's `resource:*` events), metric series with queries
 * (latest/avg/min/max/sum/count/p95 over a window), and active operations with their progress
 * (from a status updater) — and subscriptions to every change.
 */
export class InfrastructureStateProvider {
  private readonly sources: readonly ResourceSource[];
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly maxPoints: number;
  private readonly onListenerError: (error: unknown) => void;
  private readonly resources = new Map<string, ResourceSnapshot>();
  private readonly series = new Map<string, Series>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  private statusUpdater: InfrastructureStatusUpdater | undefined;
  /** Lower-cased names, built on first use and dropped on every change. */
  private names: Set<string> | undefined;
  /** Every resource as one frozen array, built on first use and dropped on every change. */
  private all: readonly ResourceSnapshot[] | undefined;

  constructor(options: StateProviderOptions = {}) {
    this.sources = options.sources ?? [];
    this.now = options.now ?? Date.now;
    this.retentionMs = options.metricRetentionMs ?? 24 * 3_600_000;
    this.maxPoints = options.maxPointsPerSeries ?? 1_000;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    if (!(this.retentionMs > 0))
      throw new InfrastructureError("INVALID_ARGUMENT", "metricRetentionMs must be positive", {
        field: "metricRetentionMs",
      });
    if (!Number.isInteger(this.maxPoints) || this.maxPoints < 1)
      throw new InfrastructureError("INVALID_ARGUMENT", "maxPointsPerSeries must be a positive integer", {
        field: "maxPointsPerSeries",
      });
  }

  /**
   * Reloads resources from every source. A source that fails is reported in the result and its
   * resources stay as last seen; the others are applied.
   */
  async refresh(signal?: AbortSignal): Promise<{
    readonly resources: number;
    readonly failures: readonly { index: number; error: unknown }[];
  }> {
    const failures: { index: number; error: unknown }[] = [];
    const results = await Promise.allSettled(this.sources.map((s) => s.listResources(signal)));
    results.forEach((r, index) => {
      if (r.status === "rejected") failures.push({ index, error: r.reason });
      else for (const resource of r.value) this.upsertResource(resource);
    });
    return { resources: this.resources.size, failures };
  }

  /** Adds or replaces a resource. */
  upsertResource(resource: ResourceSnapshot): void {
    if (typeof resource.id !== "string" || resource.id === "")
      throw new InfrastructureError("INVALID_ARGUMENT", "a resource needs a non-empty id", { field: "id" });
    this.resources.set(resource.id, resource);
    this.names = undefined;
    this.all = undefined;
    this.tell({ kind: "resource-upserted", resource });
  }

  /** Forgets a resource and its metrics; false when it was unknown. */
  removeResource(resourceId: string): boolean {
    if (!this.resources.delete(resourceId)) return false;
    this.names = undefined;
    this.all = undefined;
    for (const key of [...this.series.keys()])
      if (key.startsWith(`${resourceId}\u0000`)) this.series.delete(key);
    this.tell({ kind: "resource-removed", resourceId });
    return true;
  }

  /** One resource, by id. */
  getResource(resourceId: string): ResourceSnapshot | undefined {
    return this.resources.get(resourceId);
  }

  /** True when some resource has this name (case-insensitive). */
  hasName(name: string): boolean {
    if (this.names === undefined) {
      this.names = new Set();
      for (const r of this.resources.values()) if (r.name !== undefined) this.names.add(r.name.toLowerCase());
    }
    return this.names.has(name.toLowerCase());
  }

  /**
   * Every known resource as one shared, frozen array: the same array until the next change, so a
   * caller reading it per message allocates nothing.
   */
  snapshotResources(): readonly ResourceSnapshot[] {
    this.all ??= Object.freeze([...this.resources.values()]);
    return this.all;
  }

  /** Every known resource, optionally of one type. */
  listResources(type?: string): ResourceSnapshot[] {
    const all = [...this.resources.values()];
    return type === undefined ? all : all.filter((r) => r.type === type);
  }

  /** Records a metric point (non-finite values are refused). */
  recordMetric(resourceId: string, metric: string, value: number, at: number = this.now()): void {
    if (!Number.isFinite(value))
      throw new InfrastructureError("INVALID_ARGUMENT", `metric "${metric}" needs a finite value`, {
        field: "value",
      });
    const key = `${resourceId}\u0000${metric}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { times: [], values: [] };
      this.series.set(key, s);
    }
    // Keep points in time order even when they arrive late.
    let i = s.times.length;
    while (i > 0 && (s.times[i - 1] ?? 0) > at) i--;
    s.times.splice(i, 0, at);
    s.values.splice(i, 0, value);
    const cutoff = this.now() - this.retentionMs;
    let drop = 0;
    while (drop < s.times.length && (s.times[drop] ?? 0) < cutoff) drop++;
    drop = Math.max(drop, s.times.length - this.maxPoints);
    if (drop > 0) {
      s.times.splice(0, drop);
      s.values.splice(0, drop);
    }
    this.tell({ kind: "metric", resourceId, metric, value, at });
  }

  /** Folds a metric series over a window. */
  queryMetric(query: MetricQuery): MetricResult {
    const aggregate = query.aggregate ?? "latest";
    const to = this.now();
    const from = query.windowMs === undefined ? to - this.retentionMs : to - query.windowMs;
    const s = this.series.get(`${query.resourceId}\u0000${query.metric}`);
    const values: number[] = [];
    if (s !== undefined)
      for (let i = 0; i < s.times.length; i++)
        if ((s.times[i] ?? 0) >= from && (s.times[i] ?? 0) <= to) values.push(s.values[i] ?? 0);
    let value: number | undefined;
    if (values.length > 0) {
      switch (aggregate) {
        case "latest":
          value = values[values.length - 1];
          break;
        case "avg":
          value = values.reduce((a, b) => a + b, 0) / values.length;
          break;
        case "min":
          value = Math.min(...values);
          break;
        case "max":
          value = Math.max(...values);
          break;
        case "sum":
          value = values.reduce((a, b) => a + b, 0);
          break;
        case "count":
          value = values.length;
          break;
        case "p95": {
          const sorted = [...values].sort((a, b) => a - b);
          value = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
          break;
        }
      }
    } else if (aggregate === "count") value = 0;
    return {
      resourceId: query.resourceId,
      metric: query.metric,
      aggregate,
      value,
      points: values.length,
      from,
      to,
    };
  }

  /** Takes running operations and their progress from a status updater. */
  trackOperations(updater: InfrastructureStatusUpdater): Unsubscribe {
    this.statusUpdater = updater;
    const off = updater.subscribe(
      (event) => {
        const operation = updater.get(event.operationId);
        if (operation !== undefined) this.tell({ kind: "operation", operation });
      },
      { verbosity: "verbose" },
    );
    return () => {
      off();
      if (this.statusUpdater === updater) this.statusUpdater = undefined;
    };
  }

  /** Follows the executor's `resource:*` events. */
  attach(bus: InfrastructureEventBus): Unsubscribe {
    const upsert = (e: ResourceEvent): void => {
      const known = this.resources.get(e.resourceId);
      this.upsertResource({
        ...known,
        id: e.resourceId,
        type: e.resourceType ?? known?.type ?? "custom",
        providerId: e.providerId,
        ...(e.instanceId === undefined ? {} : { instanceId: e.instanceId }),
        status: "available",
        updatedAt: e.timestamp,
      });
    };
    const removed = (e: ResourceEvent): void => {
      this.removeResource(e.resourceId);
    };
    bus.on("resource:created", upsert);
    bus.on("resource:updated", upsert);
    bus.on("resource:deleted", removed);
    return () => {
      bus.off("resource:created", upsert);
      bus.off("resource:updated", upsert);
      bus.off("resource:deleted", removed);
    };
  }

  /** The whole picture, now. */
  snapshot(): StateSnapshot {
    const metrics: { resourceId: string; metric: string; value: number; at: number }[] = [];
    for (const [key, s] of this.series) {
      const n = s.times.length;
      if (n === 0) continue;
      const [resourceId = "", metric = ""] = key.split("\u0000");
      metrics.push({ resourceId, metric, value: s.values[n - 1] ?? 0, at: s.times[n - 1] ?? 0 });
    }
    return {
      takenAt: this.now(),
      resources: [...this.resources.values()],
      activeOperations: this.statusUpdater?.active() ?? [],
      metrics,
    };
  }

  /** Subscribes to every change; a throwing listener is isolated. */
  subscribe(listener: (change: StateChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private tell(change: StateChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (error) {
        try {
          this.onListenerError(error);
        } catch {
          // isolated
        }
      }
    }
  }
}
