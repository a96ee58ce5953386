import net from "node:net";
import { describe, expect, it } from "vitest";
import { down, readGatewayPid, up, waitHealthy } from "../../scripts/stack/lifecycle.ts";
import { testStackEnv } from "../helpers/stack-env.ts";

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });

describe("stack lifecycle", () => {
  it("up is idempotent, and down leaves nothing listening on 54321 or 54322", async () => {
    const pid = readGatewayPid();
    await up({ env: testStackEnv() });
    expect(readGatewayPid()).toBe(pid);

    await down();
    expect(await listening(54321)).toBe(false);
    expect(await listening(54322)).toBe(false);
    expect(readGatewayPid()).toBeNull();
    if (pid !== null) expect(() => process.kill(pid, 0)).toThrow();

    const t0 = performance.now();
    await up({ env: testStackEnv() });
    await waitHealthy();
    console.log(`stack up (dependencies installed) to healthy: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(await listening(54321)).toBe(true);
    expect(await listening(54322)).toBe(true);
  }, 120_000);
});
