/**
 * @espada/infra-sdk/testing — the provider author's test kit: an in-memory host that runs a provider
 * the way the registry does, a runner-neutral conformance suite (vitest, jest, mocha, `node:test`),
 * and the result/log helpers also exported from the main entry.
 *
 * ```ts
 * import { describe, it } from "vitest"; // or: import { describe, it } from "node:test";
 * import { runProviderConformance } from "@espada/infra-sdk/testing";
 * runProviderConformance({ describe, it }, "my-cloud conforms", { factory: ({ logger }) => createMyCloud({ logger }) });
 * ```
 * @packageDocumentation
 */
export {
  CONFORMANCE_CHECKS,
  ConformanceViolation,
  providerConformanceChecks,
  runProviderConformance,
  checkProviderConformance,
} from "./conformance.js";
export type {
  ConformanceOptions,
  ConformanceCheck,
  ConformanceProblem,
  ConformanceHarness,
  ConformanceReport,
} from "./conformance.js";
export { createInMemoryHost, settingsIssues } from "./host.js";
export type { InMemoryHost, InMemoryHostOptions, HostCallContext } from "./host.js";
export {
  createMockLogger,
  createTestContext,
  runProviderLifecycle,
  expectSuccess,
  expectFailure,
  ResultExpectationError,
} from "./helpers.js";
export type {
  CapturedLogEntry,
  MockLogger,
  TestContext,
  LifecycleCommandRun,
  RunProviderLifecycleOptions,
  ProviderLifecycleReport,
  SuccessDataCheck,
} from "./helpers.js";
export { createResourceTracker } from "../resourceTracker.js";
