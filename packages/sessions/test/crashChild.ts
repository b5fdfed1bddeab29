// Crash-test child: writes sessions through the BUILT package's FileSessionStorage (the entry URL,
// `dist/index.js`, is its first argument) and prints "ack <id> <version>" after each acknowledged
// write, until it is killed. Content is a pure function of (id, version), so the parent can check
// that every acknowledged session is present and intact. The parent transpiles this one file to
// JS; its only runtime import is the built entry, so what is crash-tested is what ships.
import type { InfrastructureSession } from "@espada/infra-core";
import type * as Sessions from "../src/index.js";

const [entry = "", directory = "", lane = "0", startArg = "0"] = process.argv.slice(2);

/** The session with `id` at `version`. */
export function expectedSession(id: string, version: number): InfrastructureSession {
  return {
    id,
    userId: `user-${id}`,
    state: "active",
    environment: "production",
    providerId: "crash-cloud",
    auth: { method: "api-key", credentials: { token: `secret-${id}-${version}` }, options: { region: "eu" } },
    resources: {},
    variables: { version, payload: `${id}:${version}:`.padEnd(256, "x") },
    pendingOperations: [],
    history: [],
    metadata: {},
    createdAt: 1,
    lastActivityAt: version,
    expiresAt: 4_000_000_000_000,
  };
}

if (process.argv[1]?.endsWith("crashChild.mjs") === true) {
  const { FileSessionStorage } = (await import(entry)) as typeof Sessions;
  const storage = await FileSessionStorage.open({ directory, lockStaleMs: 2000, lockRetries: 20 });
  const versions = new Map<string, number>();
  for (const { session, version } of await storage.list()) versions.set(session.id, version);
  process.stdout.write("ready\n");
  let next = Number(startArg);
  const worker = async (): Promise<never> => {
    for (;;) {
      // half new sessions, half updates of existing ones
      const existing = [...versions.keys()];
      const id = existing.length > 0 && Math.random() < 0.5 ? (existing[Math.floor(Math.random() * existing.length)] as string) : `s${lane}-${next++}`;
      const current = versions.get(id) ?? 0;
      versions.set(id, current + 1); // reserve, so that two workers never race on one id
      const written = await storage.write(expectedSession(id, current + 1), current);
      if (written === undefined) throw new Error(`unexpected conflict on ${id}`);
      process.stdout.write(`ack ${id} ${written.version}\n`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
