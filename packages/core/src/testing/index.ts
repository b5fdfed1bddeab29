/**
 * @espada/infra-core/testing — the `StateStore` contract as a runner-neutral suite, and the plain
 * reference model it compares stores with. A store package runs it from its own tests:
 *
 * ```ts
 * import { describe, it } from "vitest";
 * import { runStateStoreContract } from "@espada/infra-core/testing";
 * runStateStoreContract({ describe, it }, "MyStore", async (clock) => ({ store: new MyStore({ now: clock.now }) }));
 * ```
 * @packageDocumentation
 */
export { runStateStoreContract, stateStoreContractChecks, createTestClock } from "./contract.js";
export type {
  TestHarness,
  TestClock,
  StoreUnderTest,
  StateStoreFactory,
  ContractCheck,
  ContractOptions,
} from "./contract.js";
export { StateStoreModel } from "./model.js";
export { ContractViolation, deepEqual, assertEqual, assertRejects, assertTrue } from "./assert.js";
