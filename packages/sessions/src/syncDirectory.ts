import { promises as fsp } from "node:fs";

/**
 * fsyncs a directory so a rename inside it survives a power loss. A file system that cannot fsync a
 * directory (`EINVAL`, some network ones) is accepted: the rename is still atomic there.
 */
export async function syncDirectory(directory: string): Promise<void> {
  // Called through the `promises` object (not a named import) so tests can observe the open.
  const handle = await fsp.open(directory, "r");
  try {
    await handle.sync();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
  } finally {
    await handle.close();
  }
}
