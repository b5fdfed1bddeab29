import { espadaConfig } from "@espada/eslint-config";

export default espadaConfig(import.meta.dirname);
