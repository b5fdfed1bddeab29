/**
 * Creates the `espada-infra status` workspace (espada.yaml with one provider found by discovery in a
 * local plugin folder) in a new folder under `parentDir`, which must resolve `@espada/infra-sdk`;
 * returns its path. `frameworkVersion` is core's version.
 */
export function createStatusWorkspace(parentDir: string, frameworkVersion: string): string;
