import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { signWebhook } from "./sign-webhook.ts";
import { generateWebhookSecret, webhookSecretKey } from "./webhook-secret.ts";

describe("signWebhook", () => {
  it("produces what the standardwebhooks verifier accepts", async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: "connection.needs_reauth", timestamp: new Date().toISOString(), data: { provider: "spotify" } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(secret, "6f1c0a0e-54a5-4c1e-9c1e-2b7f3c4d5e6f", ts, body);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("matches the specification's published example", async () => {
    // The example of the Standard Webhooks specification (and its reference libraries' tests).
    const headers = await signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
      '{"test": 2432232314}',
    );
    expect(headers["webhook-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("fails the verifier when the body, id or secret differ", async () => {
    const secret = generateWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(secret, "abc", ts, "{}");
    expect(() => new Webhook(secret).verify('{"x":1}', headers)).toThrow();
    expect(() => new Webhook(secret).verify("{}", { ...headers, "webhook-id": "abd" })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify("{}", headers)).toThrow();
  });

  it("refuses malformed secrets, ids and timestamps, naming the field", async () => {
    await expect(signWebhook("secret", "a", 1, "{}")).rejects.toThrow(/"secret"/);
    await expect(signWebhook("whsec_" + btoa("short"), "a", 1, "{}")).rejects.toThrow(/"secret"/);
    await expect(signWebhook(generateWebhookSecret(), "a.b", 1, "{}")).rejects.toThrow(/"id"/);
    await expect(signWebhook(generateWebhookSecret(), "a", -1, "{}")).rejects.toThrow(/"timestamp"/);
    expect(() => webhookSecretKey("whsec_" + "%".repeat(30))).toThrow(/"secret"/);
    expect(webhookSecretKey(generateWebhookSecret())).toHaveLength(32);
  });
});
