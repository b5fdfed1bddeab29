import { defineCommand } from "@espada/infra-sdk";

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** `create-bucket`: a directory under `buckets/`. */
export const createBucket = defineCommand()
  .id("create-bucket")
  .name("Create Bucket")
  .category("provision")
  .description("Creates a storage bucket (a directory)")
  .stringParam("name", "Bucket name", { required: true, pattern: NAME })
  .requiredCapabilities("provision")
  .resourceTypes("storage")
  .supportsDryRun()
  .example("An assets bucket", { name: "assets" })
  .build();

/** `put-object`: writes one object (a file) into a bucket. */
export const putObject = defineCommand()
  .id("put-object")
  .name("Put Object")
  .category("manage")
  .description("Writes an object into a bucket")
  .resourceRefParam("bucket", "Bucket name or id", { required: true, resourceType: "storage" })
  .stringParam("key", "Object key (path segments separated by /)", { required: true, pattern: KEY })
  .stringParam("content", "Object content (UTF-8)", { required: true, max: 1_048_576 })
  .resourceTypes("storage")
  .supportsDryRun()
  .build();

/** `delete-bucket`: dangerous; a snapshot is taken first, so the operation can be rolled back. */
export const deleteBucket = defineCommand()
  .id("delete-bucket")
  .name("Delete Bucket")
  .category("provision")
  .description("Deletes a bucket and its objects (snapshot taken first)")
  .resourceRefParam("bucket", "Bucket name or id", { required: true, resourceType: "storage" })
  .requiredCapabilities("deprovision")
  .resourceTypes("storage")
  .supportsDryRun()
  .dangerous()
  .build();

/** `create-instance`: a compute instance of `replicas` child processes. */
export const createInstance = defineCommand()
  .id("create-instance")
  .name("Create Instance")
  .category("provision")
  .description("Starts a compute instance (child processes)")
  .stringParam("name", "Instance name", { required: true, pattern: NAME })
  .numberParam("replicas", "Number of processes", { default: 1, min: 1, max: 8 })
  .requiredCapabilities("provision")
  .resourceTypes("compute")
  .supportsDryRun()
  .example("A web instance of two processes", { name: "web", replicas: 2 })
  .build();

/** `scale-instance`: starts or stops processes until `replicas` run. */
export const scaleInstance = defineCommand()
  .id("scale-instance")
  .name("Scale Instance")
  .category("manage")
  .description("Changes the number of processes of an instance")
  .resourceRefParam("instance", "Instance name or id", { required: true, resourceType: "compute" })
  .numberParam("replicas", "Number of processes", { required: true, min: 1, max: 8 })
  .requiredCapabilities("scale")
  .resourceTypes("compute")
  .supportsDryRun()
  .build();

/** `stop-instance`: stops every process; the instance is kept (stopped). */
export const stopInstance = defineCommand()
  .id("stop-instance")
  .name("Stop Instance")
  .category("manage")
  .description("Stops the processes of an instance")
  .resourceRefParam("instance", "Instance name or id", { required: true, resourceType: "compute" })
  .resourceTypes("compute")
  .supportsDryRun()
  .build();

/** `start-instance`: starts a stopped instance again. */
export const startInstance = defineCommand()
  .id("start-instance")
  .name("Start Instance")
  .category("manage")
  .description("Starts the processes of a stopped instance")
  .resourceRefParam("instance", "Instance name or id", { required: true, resourceType: "compute" })
  .resourceTypes("compute")
  .supportsDryRun()
  .build();

/** `delete-instance`: dangerous; stops the processes and forgets the instance. */
export const deleteInstance = defineCommand()
  .id("delete-instance")
  .name("Delete Instance")
  .category("provision")
  .description("Stops and removes a compute instance")
  .resourceRefParam("instance", "Instance name or id", { required: true, resourceType: "compute" })
  .requiredCapabilities("deprovision")
  .resourceTypes("compute")
  .supportsDryRun()
  .dangerous()
  .build();

/** `create-database`: a SQLite file, with an optional schema. */
export const createDatabase = defineCommand()
  .id("create-database")
  .name("Create Database")
  .category("provision")
  .description("Creates a SQLite database")
  .stringParam("name", "Database name", { required: true, pattern: NAME })
  .stringParam("schema", "SQL run once to create tables")
  .requiredCapabilities("provision")
  .resourceTypes("database")
  .supportsDryRun()
  .example("An orders database", {
    name: "orders",
    schema: "create table orders (id integer primary key, item text)",
  })
  .build();

/** `query-database`: runs one read-only SQL statement and returns its rows (a write is refused). */
export const queryDatabase = defineCommand()
  .id("query-database")
  .name("Query Database")
  .category("monitor")
  .description("Runs one read-only SQL query against a database")
  .resourceRefParam("database", "Database name or id", { required: true, resourceType: "database" })
  .stringParam("sql", "One SQL query", { required: true, max: 100_000 })
  .arrayParam("args", "Positional statement parameters")
  .resourceTypes("database")
  .supportsDryRun()
  .build();

/** `execute-sql`: runs one SQL statement that may write; a snapshot is taken first, so it can be rolled back. */
export const executeSql = defineCommand()
  .id("execute-sql")
  .name("Execute SQL")
  .category("manage")
  .description("Runs one SQL statement that may change a database (snapshot taken first)")
  .resourceRefParam("database", "Database name or id", { required: true, resourceType: "database" })
  .stringParam("sql", "One SQL statement", { required: true, max: 100_000 })
  .arrayParam("args", "Positional statement parameters")
  .resourceTypes("database")
  .build();

/** `delete-database`: dangerous; a snapshot is taken first, so the operation can be rolled back. */
export const deleteDatabase = defineCommand()
  .id("delete-database")
  .name("Delete Database")
  .category("provision")
  .description("Deletes a database (snapshot taken first)")
  .resourceRefParam("database", "Database name or id", { required: true, resourceType: "database" })
  .requiredCapabilities("deprovision")
  .resourceTypes("database")
  .supportsDryRun()
  .dangerous()
  .build();

/** `create-snapshot`: copies a bucket, a database (online backup) or an instance's settings. */
export const createSnapshot = defineCommand()
  .id("create-snapshot")
  .name("Create Snapshot")
  .category("manage")
  .description("Snapshots a bucket, database or instance")
  .stringParam("resource", "Resource id (bucket-…, db-…, vm-…)", { required: true })
  .requiredCapabilities("snapshot")
  .supportsDryRun()
  .build();

/** `list-snapshots`: every snapshot, newest first. */
export const listSnapshots = defineCommand()
  .id("list-snapshots")
  .name("List Snapshots")
  .category("monitor")
  .description("Lists snapshots")
  .stringParam("resource", "Only snapshots of this resource id")
  .supportsDryRun()
  .build();

/** `restore-snapshot`: dangerous; puts a resource back as the snapshot holds it. */
export const restoreSnapshot = defineCommand()
  .id("restore-snapshot")
  .name("Restore Snapshot")
  .category("manage")
  .description("Restores a resource from a snapshot")
  .stringParam("snapshot", "Snapshot id", { required: true })
  .requiredCapabilities("restore")
  .supportsDryRun()
  .dangerous()
  .build();

/** `rollback-operation`: undoes an earlier operation of this provider by its execution id. */
export const rollbackOperation = defineCommand()
  .id("rollback-operation")
  .name("Rollback Operation")
  .category("manage")
  .description("Undoes an earlier operation (restores its snapshot or removes what it created)")
  .stringParam("executionId", "Execution id of the operation to undo", { required: true })
  .requiredCapabilities("rollback")
  .supportsDryRun()
  .build();

/** `list-resources`: buckets, instances (with live processes) and databases. */
export const listResources = defineCommand()
  .id("list-resources")
  .name("List Resources")
  .category("monitor")
  .description("Lists buckets, instances and databases with their live state")
  .supportsDryRun()
  .build();

/** Every command of local-cloud, in one list (ids and parameter types for the SDK's `createCommandClient`). */
export const localCloudCommands = [
  createBucket,
  putObject,
  deleteBucket,
  createInstance,
  scaleInstance,
  stopInstance,
  startInstance,
  deleteInstance,
  createDatabase,
  queryDatabase,
  executeSql,
  deleteDatabase,
  createSnapshot,
  listSnapshots,
  restoreSnapshot,
  rollbackOperation,
  listResources,
] as const;
