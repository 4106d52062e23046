// Bundled into the Chromium page by bench/processes/e2ee-crypto/main.ts.
import { timeFrameCrypto } from "./timing.ts";

(globalThis as unknown as { timeFrameCrypto: typeof timeFrameCrypto }).timeFrameCrypto =
  timeFrameCrypto;
