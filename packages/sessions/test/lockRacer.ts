// Lock-race child (run with tsx): told a state directory and a barrier file over IPC, it reports
// "armed", spins until the barrier file exists (so two children start opening at the same instant),
// opens the directory, tries `compareAndSet("job", 0)`, and reports the outcome. A winner keeps the
// store open until told to release it, so the loser always races against a live holder.
import { existsSync } from "node:fs";
import { FileStateStore } from "../src/fileStateStore.js";

/** What the parent tells a racer. */
export type RacerOrder =
  | { readonly type: "race"; readonly directory: string; readonly barrier: string }
  | { readonly type: "release" }
  | { readonly type: "exit" };
/** What a racer reports. */
export type RacerReport =
  | { readonly type: "armed" }
  | { readonly type: "result"; readonly won: true; readonly cas: boolean }
  | { readonly type: "result"; readonly won: false; readonly code: string }
  | { readonly type: "released" };

let held: FileStateStore | undefined;

function send(report: RacerReport): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(report, undefined, {}, (error) => (error === null ? resolve() : reject(error))),
  );
}

async function race(directory: string, barrier: string): Promise<void> {
  await send({ type: "armed" });
  const deadline = Date.now() + 60_000; // the parent is gone: stop spinning
  while (!existsSync(barrier)) if (Date.now() > deadline) process.exit(2);
  try {
    const store = await FileStateStore.open({ directory, lockStaleMs: 30_000 });
    held = store;
    const cas = await store.compareAndSet("job", 0, { by: process.pid });
    await send({ type: "result", won: true, cas: cas.ok });
  } catch (error) {
    await send({ type: "result", won: false, code: (error as { code?: string }).code ?? String(error) });
  }
}

process.on("message", (order: RacerOrder) => {
  if (order.type === "race") void race(order.directory, order.barrier);
  else if (order.type === "release") {
    const store = held;
    held = undefined;
    void (store?.close() ?? Promise.resolve()).then(() => send({ type: "released" }));
  } else process.exit(0);
});
