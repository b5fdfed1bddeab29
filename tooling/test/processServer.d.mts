/** A request handler of an instance: its arguments as sent, its value as answered. */
export type ProcessHandler = (args: Record<string, unknown>) => Promise<unknown>;

/**
 * Serves `handlers` over stdin/stdout (one JSON line per request and per answer) until a `close`
 * request, which runs `close` and answers once it is done; says it is ready at once.
 */
export function serveProcessInstance(
  handlers: Readonly<Record<string, ProcessHandler>>,
  close: () => Promise<unknown>,
): void;
