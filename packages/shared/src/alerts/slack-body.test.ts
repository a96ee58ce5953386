import { describe, expect, it } from "vitest";
import { slackBody } from "./slack-body.ts";

describe("slackBody", () => {
  it("is an incoming-webhook body naming the event and its data", () => {
    const b = slackBody({ type: "connection.needs_reauth", timestamp: "2026-12-02T07:00:00.000Z", data: { provider: "spotify", account: "a1", connection_id: "c1" } });
    expect(Object.keys(b).sort()).toEqual(["blocks", "text"]);
    expect(b.text).toContain("connection.needs_reauth");
    expect(b.text).toContain("spotify");
    expect(JSON.stringify(b.blocks)).toContain("*connection_id*: c1");
  });

  it("escapes Slack's control characters in the data", () => {
    const b = slackBody({ type: "provider.recovered", timestamp: "t", data: { provider: "<!channel>", account: "a&b" } });
    expect(JSON.stringify(b)).not.toContain("<!channel>");
    expect(JSON.stringify(b)).toContain("&lt;!channel&gt;");
    expect(JSON.stringify(b)).toContain("a&amp;b");
  });
});
