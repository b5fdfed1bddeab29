// Test fixture: holds the lock of a state directory until killed.
import { FileStateStore } from "../src/fileStateStore.js";

const directory = process.argv[2] ?? "";
const store = await FileStateStore.open({ directory, lockStaleMs: 60_000 });
await store.put("held", true);
process.stdout.write("locked\n");
setInterval(() => undefined, 1000);
