import { defineCommand } from "@espada/infra-sdk";
import { ENGINES } from "./backend.js";

/** `create-database`: handler params `{ name: string; engine: Engine; sizeGb: number }`. */
export const createDatabase = defineCommand()
  .id("create-database")
  .name("Create Database")
  .category("provision")
  .description("Creates a key-value database")
  .stringParam("name", "Database name", { required: true, pattern: /^[a-z][a-z0-9-]{2,30}$/ })
  .stringParam("engine", "Storage engine", { enum: ENGINES, default: "redis" })
  .numberParam("sizeGb", "Disk size in GB", { default: 1, min: 1, max: 1024 })
  .requiredCapabilities("provision")
  .resourceTypes("database")
  .supportsDryRun()
  .example("A small redis", { name: "sessions" })
  .build();

/** `list-databases`: optionally filtered by engine. */
export const listDatabases = defineCommand()
  .id("list-databases")
  .name("List Databases")
  .category("monitor")
  .stringParam("engine", "Only this engine", { enum: ENGINES })
  .supportsDryRun()
  .build();

/** `resize-database`: grows or shrinks a database, in steps for large changes. */
export const resizeDatabase = defineCommand()
  .id("resize-database")
  .name("Resize Database")
  .category("manage")
  .resourceRefParam("database", "Database id", { required: true, resourceType: "database" })
  .numberParam("sizeGb", "New size in GB", { required: true, min: 1, max: 1024 })
  .requiredCapabilities("scale")
  .resourceTypes("database")
  .build();

/** `delete-database`: dangerous, runs only when the caller confirmed. */
export const deleteDatabase = defineCommand()
  .id("delete-database")
  .name("Delete Database")
  .category("provision")
  .resourceRefParam("database", "Database id", { required: true, resourceType: "database" })
  .requiredCapabilities("deprovision")
  .resourceTypes("database")
  .dangerous()
  .build();

/** `rotate-password`: the new password is a secret parameter (redacted everywhere). */
export const rotatePassword = defineCommand()
  .id("rotate-password")
  .name("Rotate Password")
  .category("security")
  .resourceRefParam("database", "Database id", { required: true, resourceType: "database" })
  .secretParam("newPassword", "The new password", { required: true, min: 12 })
  .resourceTypes("database")
  .build();
