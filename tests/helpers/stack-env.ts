import { join } from "node:path";
import { ROOT } from "../../scripts/stack/paths.ts";

/** The variables the functions get during the tests (provider endpoints pointed at the local emulator). */
export const TEST_ENV_FILE = join(ROOT, "tests", "stack.env");
