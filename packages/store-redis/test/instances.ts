// Starts framework instances (test/instance.ts) as child processes sharing one Redis, and talks to
// them one JSON line at a time; every answer is awaited (no sleeps).
import { fileURLToPath } from "node:url";
import { startProcessInstance } from "../../../tooling/test/processInstance.js";
import type { ProcessInstance } from "../../../tooling/test/processInstance.js";

const INSTANCE = fileURLToPath(new URL("./instance.ts", import.meta.url));

/** A framework instance in another process. */
export type Instance = ProcessInstance;

/** Starts an instance whose state is in Redis at `url` under `keyPrefix`; resolves once it is ready. */
export function startInstance(
  url: string,
  keyPrefix: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Instance> {
  return startProcessInstance(["--import", "tsx", INSTANCE], {
    ESPADA_REDIS_URL: url,
    ESPADA_REDIS_PREFIX: keyPrefix,
    ...env,
  });
}
