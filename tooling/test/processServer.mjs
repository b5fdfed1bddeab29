// The other side of processInstance.ts: a script run as a framework instance answers one JSON line
// per request on stdout, `{ id: 0 }` once it is ready. Plain JavaScript, so a fixture run by plain
// `node` (no TypeScript loader) can use it too.
import { createInterface } from "node:readline";

/**
 * Serves `handlers` over stdin/stdout until a `close` request, which runs `close` and answers once
 * it is done; says it is ready at once.
 * @param {Readonly<Record<string, (args: Record<string, unknown>) => Promise<unknown>>>} handlers
 * @param {() => Promise<unknown>} close
 * @returns {void}
 */
export function serveProcessInstance(handlers, close) {
  const lines = createInterface({ input: process.stdin });
  const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  lines.on("line", (line) => {
    const { id, op, args } = JSON.parse(line);
    if (op === "close") {
      void close().then(() => {
        reply({ id, ok: true, value: null });
        lines.close();
      });
      return;
    }
    const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
    if (handler === undefined) {
      reply({ id, ok: false, error: { code: "UNKNOWN_OP", message: op } });
      return;
    }
    handler(args ?? {}).then(
      (value) => reply({ id, ok: true, value: value ?? null }),
      (error) =>
        reply({
          id,
          ok: false,
          error: { code: error?.code, message: error instanceof Error ? error.message : String(error) },
        }),
    );
  });
  reply({ id: 0, ok: true, value: "ready" });
}
