import { ApiError } from "./api-error.ts";

/**
 * Field readers for request bodies: each names the exact field at fault, in the form
 * `"provider" must be a string`, and bounds lengths so hostile input stays small.
 */
export function optionalString(body: Record<string, unknown>, field: string, maxLength = 256): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ApiError("invalid_request", `"${field}" must be a string`);
  if (value.length > maxLength) throw new ApiError("invalid_request", `"${field}" must be at most ${maxLength} characters`);
  return value;
}

export function requiredString(body: Record<string, unknown>, field: string, maxLength = 256): string {
  const value = optionalString(body, field, maxLength);
  if (value === undefined || value === "") throw new ApiError("invalid_request", `"${field}" is required`);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Rejects members the endpoint does not know, so a typo is an error rather than silently ignored. */
export function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ApiError("invalid_request", `"${key.slice(0, 64)}" is not a known field`);
  }
}
