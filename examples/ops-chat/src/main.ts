// `pnpm --filter @espada/examples-ops-chat start`: a scripted operations chat against local-cloud.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOpsChat } from "./chat.js";

const root = await mkdtemp(join(tmpdir(), "espada-ops-chat-"));
try {
  await runOpsChat(join(root, ".espada-infra"), (line) => {
    const [first = "", ...rest] = line.text.split("\n");
    console.log(`${line.speaker.padStart(7)}> ${first}${rest.map((r) => `\n         ${r}`).join("")}`);
  });
} finally {
  await rm(root, { recursive: true, force: true });
}
