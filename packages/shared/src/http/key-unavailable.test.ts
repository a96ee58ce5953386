import { describe, expect, it } from "vitest";
import { decryptSecret } from "../crypto/decrypt-secret.ts";
import { encryptSecret } from "../crypto/encrypt-secret.ts";
import { parseKeyRing } from "../crypto/key-ring.ts";
import { createLogger } from "../log/logger.ts";
import type { Authenticate } from "./authenticate.ts";
import { route, withHandler } from "./with-handler.ts";

describe("a key id missing from the ring, at the handler's edge", () => {
  it("answers 500 key_unavailable naming the key id, never the envelope or the plaintext", async () => {
    const lines: string[] = [];
    const writer = await parseKeyRing(`gone1:${"1".repeat(64)}`);
    const reader = await parseKeyRing(`k2:${"2".repeat(64)}`);
    const aad = { table: "public.platform_connections", column: "access_token", rowId: "r1" };
    const envelope = await encryptSecret(writer, "plain-secret-token", aad);
    const h = withHandler(
      { authenticate: (async () => ({ kind: "service" })) as Authenticate, logger: createLogger("t", (l) => lines.push(l)) },
      { POST: route({ auth: "service", handle: async () => new Response(await decryptSecret(reader, envelope, aad)) }) },
    );
    const res = await h(new Request("http://x/fn", { method: "POST", body: "{}" }));
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("key_unavailable");
    expect(body.error.message).toContain('"gone1"');
    const everything = JSON.stringify(body) + lines.join("\n");
    expect(everything).not.toContain(envelope);
    expect(everything).not.toContain("plain-secret-token");
    expect(lines.join("\n")).toContain("key_unavailable");
  });
});
