export { LocalCloudProvider, localCloudMeta, createLocalCloudFactory, bucketFiles } from "./provider.js";
export type { LocalCloudOptions, InstanceRecord } from "./provider.js";
export { localCloudSettingsSchema } from "./settings.js";
export type { LocalCloudSettings, LocalCloudSettingsInput } from "./settings.js";
export { LOCAL_CLOUD_CODES, LocalCloudError } from "./errors.js";
export type { LocalCloudCode } from "./errors.js";
export { ProcessSupervisor, WORKER_SOURCE } from "./compute.js";
export type { Replica, ReplicaExit, ReplicaHealth, SupervisorOptions } from "./compute.js";
export type { SnapshotMeta, UndoRecord } from "./snapshots.js";
export {
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
  localCloudCommands,
} from "./commands.js";
