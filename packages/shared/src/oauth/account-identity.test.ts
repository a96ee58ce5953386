import { describe, expect, it } from "vitest";
import { buildAccountConfirmationRequest, parseAccountConfirmation, xeroTenantIds } from "./account-identity.ts";
import { ProviderError } from "./provider-error.ts";
import { parseResponseText } from "./response-body.ts";
import { testProvider } from "./test-support.ts";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("account confirmation", () => {
  it("asks QuickBooks for the realm's companyinfo with the new token", () => {
    const req = buildAccountConfirmationRequest(testProvider("quickbooks"), "at-1", "9130347")!;
    expect(req.method).toBe("GET");
    expect(new URL(req.url).pathname).toBe("/v3/company/9130347/companyinfo/9130347");
    expect(req.headers.get("authorization")).toBe("Bearer at-1");
    expect(req.headers.get("accept")).toBe("application/json");
  });

  it("asks Lightspeed for the retailer on the store's own domain", () => {
    const req = buildAccountConfirmationRequest(testProvider("lightspeed"), "at-2", "mystore")!;
    expect(req.url).toBe("https://mystore.retail.lightspeed.app/api/2.0/retailer");
    expect(req.headers.get("authorization")).toBe("Bearer at-2");
  });

  it("has nothing to confirm for providers whose identity is not an unsigned callback parameter", () => {
    expect(buildAccountConfirmationRequest(testProvider("spotify"), "at", "me")).toBeUndefined();
  });

  it("refuses an account id that is not a plain name", () => {
    expect(() => buildAccountConfirmationRequest(testProvider("quickbooks"), "at", "1/../2")).toThrow(TypeError);
  });

  it("confirms the named account, reports another or a refusal as a mismatch, and other failures as errors", async () => {
    const qb = testProvider("quickbooks");
    const ls = testProvider("lightspeed");
    expect(await parseAccountConfirmation(qb, json(200, { CompanyInfo: { Id: "9130347" } }), "9130347")).toBe(true);
    expect(await parseAccountConfirmation(qb, json(200, { CompanyInfo: { Id: "1111" } }), "9130347")).toBe(false);
    expect(await parseAccountConfirmation(ls, json(200, { data: { domain_prefix: "mystore" } }), "mystore")).toBe(true);
    expect(await parseAccountConfirmation(ls, json(200, { data: { domain_prefix: "other" } }), "mystore")).toBe(false);
    for (const status of [401, 403, 404]) expect(await parseAccountConfirmation(qb, json(status, { Fault: {} }), "9130347")).toBe(false);
    await expect(parseAccountConfirmation(qb, json(503, {}), "9130347")).rejects.toBeInstanceOf(ProviderError);
    await expect(parseAccountConfirmation(ls, json(200, { data: {} }), "mystore")).rejects.toBeInstanceOf(ProviderError);
  });
});

describe("xeroTenantIds", () => {
  it("lists every tenant of /connections in order, once", () => {
    const body = parseResponseText(JSON.stringify([{ tenantId: "t1" }, { tenantId: "t2" }, { tenantId: "t1" }, { nope: 1 }]), "application/json", false);
    expect(xeroTenantIds(testProvider("xero"), body.fields)).toEqual(["t1", "t2"]);
    expect(xeroTenantIds(testProvider("xero"), [{ tenantId: "a" }])).toEqual(["a"]);
    expect(() => xeroTenantIds(testProvider("xero"), {})).toThrow(ProviderError);
  });
});
