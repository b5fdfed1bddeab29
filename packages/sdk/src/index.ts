/**
 * @espada/infra-sdk — builders, a base class, result helpers and a testing kit for writing Espada
 * infrastructure providers with `@espada/infra-core` alone.
 * @packageDocumentation
 */
export { ProviderBuilder, defineProvider } from "./defineProvider.js";
export { CommandBuilder, defineCommand, implementCommand, isCommandImplementation } from "./defineCommand.js";
export type {
  TypedCommandDefinition,
  ParamsOf,
  InputOf,
  CommandHandler,
  CommandImplementation,
  ProviderCommand,
} from "./defineCommand.js";
export type {
  ParamValueTypes,
  NoParams,
  Simplify,
  CommonParamOptions,
  StringParamOptions,
  NumberParamOptions,
  BooleanParamOptions,
  ArrayParamOptions,
  ObjectParamOptions,
  FileParamOptions,
  SecretParamOptions,
  ResourceRefParamOptions,
  AlwaysPresent,
  CallerMustPass,
  ValueOf,
  EnumDefault,
  ArrayValueOf,
  AddParam,
} from "./paramTypes.js";
export { success, failure, validation, validationIssuesOf } from "./results.js";
export type { SuccessOptions, FailureOptions } from "./results.js";
export { BaseInfrastructureProvider } from "./baseProvider.js";
export type { BaseProviderOptions, LifecycleHookExtra } from "./baseProvider.js";
export { createResourceTracker } from "./resourceTracker.js";
export type { ResourceTracker, ResourceUpdate } from "./resourceTracker.js";
export { createSimpleProvider } from "./simpleProvider.js";
export type { SimpleProviderOptions, SimpleInfrastructureProvider } from "./simpleProvider.js";
export type { SettingsSchema, RawSettings } from "./settings.js";
export { createCommandClient } from "./call.js";
export type {
  CommandClient,
  CommandRunner,
  CommandIdOf,
  CommandWithId,
  CallInputOf,
  ResultDataOf,
} from "./call.js";
export {
  createMockLogger,
  createTestContext,
  runProviderLifecycle,
  expectSuccess,
  expectFailure,
  ResultExpectationError,
} from "./testing/helpers.js";
export type {
  CapturedLogEntry,
  MockLogger,
  TestContext,
  LifecycleCommandRun,
  RunProviderLifecycleOptions,
  ProviderLifecycleReport,
  SuccessDataCheck,
} from "./testing/helpers.js";
