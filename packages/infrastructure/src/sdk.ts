/**
 * `@espada/infrastructure/sdk`: the provider SDK (`@espada/infra-sdk`) under the import path the
 * spec uses, so `import { defineProvider } from "@espada/infrastructure/sdk"` works.
 * @packageDocumentation
 */
export * from "@espada/infra-sdk";
