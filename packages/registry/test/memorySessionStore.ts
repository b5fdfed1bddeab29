import { infrastructureSessionSchema } from "@espada/infra-core";
import type { CommandHistoryEntry, InfrastructureSession, PendingOperation, SessionStore } from "@espada/infra-core";

/** An in-memory `SessionStore` for tests and benches; `failWrites` makes every write reject. */
export class MemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, InfrastructureSession>();
  failWrites = false;
  /** History entries kept per session. */
  maxEntries = 1000;

  /** Creates a session for `userId`. */
  create(id: string, userId = "alice", environment = "development"): InfrastructureSession {
    const now = Date.now();
    const session = infrastructureSessionSchema.parse({ id, userId, state: "active", environment, createdAt: now, lastActivityAt: now, expiresAt: now + 3_600_000 });
    this.sessions.set(id, session);
    return session;
  }

  getSession(sessionId: string): Promise<InfrastructureSession | undefined> {
    return Promise.resolve(this.sessions.get(sessionId));
  }

  appendHistory(sessionId: string, entry: CommandHistoryEntry): Promise<void> {
    return this.#write(sessionId, (s) => {
      s.history.push(entry);
      if (s.history.length > this.maxEntries) s.history.splice(0, s.history.length - this.maxEntries);
      return s;
    });
  }

  addPendingOperation(sessionId: string, operation: PendingOperation): Promise<void> {
    return this.#write(sessionId, (s) => ({ ...s, pendingOperations: [...s.pendingOperations, operation] }));
  }

  async takePendingOperation(sessionId: string, operationId: string): Promise<PendingOperation | undefined> {
    const session = this.sessions.get(sessionId);
    const found = session?.pendingOperations.find((p) => p.id === operationId);
    if (session === undefined || found === undefined) return undefined;
    await this.#write(sessionId, (s) => ({ ...s, pendingOperations: s.pendingOperations.filter((p) => p.id !== operationId) }));
    return found;
  }

  trackResources(sessionId: string, resources: readonly { id: string; type: string; providerId: string; name?: string | undefined; updatedAt: number }[]): Promise<void> {
    return this.#write(sessionId, (s) => {
      const next = { ...s.resources };
      for (const r of resources) next[r.id] = { id: r.id, type: r.type, providerId: r.providerId, updatedAt: r.updatedAt, ...(r.name === undefined ? {} : { name: r.name }) };
      return { ...s, resources: next };
    });
  }

  forgetResources(sessionId: string, resourceIds: readonly string[]): Promise<void> {
    return this.#write(sessionId, (s) => ({ ...s, resources: Object.fromEntries(Object.entries(s.resources).filter(([id]) => !resourceIds.includes(id))) }));
  }

  #write(sessionId: string, change: (session: InfrastructureSession) => InfrastructureSession): Promise<void> {
    if (this.failWrites) return Promise.reject(new Error("disk full"));
    const session = this.sessions.get(sessionId);
    if (session === undefined) return Promise.reject(new Error(`no session ${sessionId}`));
    this.sessions.set(sessionId, change(session));
    return Promise.resolve();
  }
}
