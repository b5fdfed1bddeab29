// Run by src/framework.redis.test.ts in a fresh node process against the built dist: composes the
// framework from the configuration given as argv[3], uses its state (security, sessions, runner),
// then prints whether the Redis client (ioredis, CommonJS) was ever loaded into this process.
import { createRequire } from "node:module";
import { createNoopLogger } from "@espada/infra-core";
import { createInfrastructureFramework } from "../dist/framework.js";

const [, , cwd, configText] = process.argv;
const framework = await createInfrastructureFramework(JSON.parse(configText ?? "{}"), {
  cwd,
  logger: createNoopLogger(),
});
await framework.security();
await framework.sessions();
await framework.runner();
await framework.shutdown();
const cache = createRequire(import.meta.url).cache;
process.stdout.write(
  `${JSON.stringify(Object.keys(cache).some((path) => /[\\/]ioredis[\\/]/.test(path)))}\n`,
);
