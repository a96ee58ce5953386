import { describe, expect, it } from "vitest";
import { ApiError } from "../http/api-error.ts";
import { parsePartitionRequest, prefersRespondAsync } from "./run-request.ts";

const refusal = (body: Record<string, unknown>) => {
  try {
    parsePartitionRequest(body);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe("invalid_request");
    return (e as ApiError).message;
  }
  throw new Error("accepted");
};

describe("parsePartitionRequest", () => {
  it("reads {} as the whole table and { partition, partitions } as one share", () => {
    expect(parsePartitionRequest({})).toEqual({ partition: 0, partitions: 1 });
    expect(parsePartitionRequest({ partition: 3, partitions: 4 })).toEqual({ partition: 3, partitions: 4 });
    expect(parsePartitionRequest({ partition: 0, partitions: 256 })).toEqual({ partition: 0, partitions: 256 });
  });

  it("refuses each bad field by name", () => {
    expect(refusal({ partition: 1 })).toBe('"partitions" is required with "partition"');
    expect(refusal({ partitions: 2 })).toBe('"partition" is required with "partitions"');
    expect(refusal({ partition: 4, partitions: 4 })).toBe('"partition" must be between 0 and 3');
    expect(refusal({ partition: -1, partitions: 4 })).toBe('"partition" must be between 0 and 3');
    expect(refusal({ partition: 0, partitions: 0 })).toBe('"partitions" must be between 1 and 256');
    expect(refusal({ partition: 0, partitions: 1e9 })).toBe('"partitions" must be between 1 and 256');
    expect(refusal({ partition: 0.5, partitions: 2 })).toBe('"partition" must be an integer');
    expect(refusal({ partition: "0", partitions: 2 })).toBe('"partition" must be an integer');
    expect(refusal({ partition: 0, partitions: null })).toBe('"partitions" must be an integer');
    expect(refusal({ partition: 0, partitions: Number.NaN })).toBe('"partitions" must be an integer');
    expect(refusal({ partition: 0, partitions: 2, batch: 10 })).toBe('"batch" is not a known field');
    expect(refusal({ ["x".repeat(500)]: 1 })).toBe(`"${"x".repeat(64)}" is not a known field`);
  });
});

describe("prefersRespondAsync", () => {
  it("finds respond-async among the preferences, in any case, with or without parameters", () => {
    expect(prefersRespondAsync("respond-async")).toBe(true);
    expect(prefersRespondAsync("Respond-Async")).toBe(true);
    expect(prefersRespondAsync("return=minimal, respond-async; foo=bar")).toBe(true);
    expect(prefersRespondAsync(" wait=10 ,respond-async")).toBe(true);
  });

  it("is false without it", () => {
    expect(prefersRespondAsync(null)).toBe(false);
    expect(prefersRespondAsync("")).toBe(false);
    expect(prefersRespondAsync("wait=5")).toBe(false);
    expect(prefersRespondAsync("respond-asynchronously")).toBe(false);
    expect(prefersRespondAsync("x=respond-async")).toBe(false);
  });
});
