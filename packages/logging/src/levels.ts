import { LOG_LEVELS } from "@espada/infra-core";
import type { LogLevel } from "@espada/infra-core";

/** Winston custom levels for the six framework levels (winston counts the most severe as 0). */
export const WINSTON_LEVELS: Readonly<Record<LogLevel, number>> = Object.fromEntries(
  LOG_LEVELS.map((level, index) => [level, LOG_LEVELS.length - 1 - index]),
) as Record<LogLevel, number>;
