import { expect, it } from "vitest";
import { keepAliveAt, keepAliveDaysFromEnv } from "./keepalive.ts";

const now = new Date("2026-11-23T00:00:00Z");
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

it("schedules nothing when the access token expires before the keep-alive date", () => {
  expect(keepAliveAt(60 * 86_400, days(0.02), now)).toBeNull();
});

it("schedules nothing for refresh tokens that do not die of inactivity", () => {
  expect(keepAliveAt(undefined, days(60), now)).toBeNull();
});

it("brings a long-lived token back at the keep-alive interval, never later than half the idle window", () => {
  expect(keepAliveAt(60 * 86_400, days(90), now)).toEqual(days(7));
  expect(keepAliveAt(10 * 86_400, days(90), now)).toEqual(days(5));
  expect(keepAliveAt(60 * 86_400, days(90), now, 14)).toEqual(days(14));
});

it("reads REFRESH_KEEPALIVE_DAYS within bounds", () => {
  expect(keepAliveDaysFromEnv({ REFRESH_KEEPALIVE_DAYS: "3" })).toBe(3);
  expect(keepAliveDaysFromEnv({ REFRESH_KEEPALIVE_DAYS: "0" })).toBe(7);
  expect(keepAliveDaysFromEnv({})).toBe(7);
});
