import { describe, expect, it } from "vitest";
import { refusalCode } from "./refusal.js";

const issue = (code: string) => ({ code, message: code, path: "params.x" });

describe("refusalCode", () => {
  it("confirmation only → CONFIRMATION_REQUIRED; refused dry runs (with or without confirmation) → DRY_RUN_UNSUPPORTED; else VALIDATION_FAILED", () => {
    expect(refusalCode([issue("CONFIRMATION_REQUIRED")])).toBe("CONFIRMATION_REQUIRED");
    expect(refusalCode([issue("DRY_RUN_UNSUPPORTED"), issue("DRY_RUN_UNSUPPORTED")])).toBe(
      "DRY_RUN_UNSUPPORTED",
    );
    expect(refusalCode([issue("CONFIRMATION_REQUIRED"), issue("DRY_RUN_UNSUPPORTED")])).toBe(
      "DRY_RUN_UNSUPPORTED",
    );
    expect(refusalCode([issue("DRY_RUN_UNSUPPORTED"), issue("TYPE_MISMATCH")])).toBe("VALIDATION_FAILED");
    expect(refusalCode([issue("CONFIRMATION_REQUIRED"), issue("REQUIRED")])).toBe("VALIDATION_FAILED");
    expect(refusalCode([])).toBe("VALIDATION_FAILED");
  });
});
