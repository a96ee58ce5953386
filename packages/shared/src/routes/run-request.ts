import { ApiError } from "../http/api-error.ts";
import { rejectUnknownFields } from "../http/fields.ts";
import { MAX_PARTITIONS } from "../engine/refresh-expiring.ts";

/** The body of a refresh-expiring request: `{}` (the whole table) or `{ partition, partitions }`. */
export interface PartitionRequest {
  partition: number;
  partitions: number;
}

function integerField(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (typeof value !== "number" || !Number.isInteger(value)) throw new ApiError("invalid_request", `"${field}" must be an integer`);
  if (value < min || value > max) throw new ApiError("invalid_request", `"${field}" must be between ${min} and ${max}`);
  return value;
}

/**
 * Reads `{ partition, partitions }` (both or neither): `partitions` from 1 to {@link MAX_PARTITIONS},
 * `partition` from 0 to `partitions - 1`. Anything else is `invalid_request` naming the field.
 */
export function parsePartitionRequest(body: Record<string, unknown>): PartitionRequest {
  rejectUnknownFields(body, ["partition", "partitions"]);
  const hasPartition = body.partition !== undefined;
  const hasPartitions = body.partitions !== undefined;
  if (!hasPartition && !hasPartitions) return { partition: 0, partitions: 1 };
  if (!hasPartitions) throw new ApiError("invalid_request", `"partitions" is required with "partition"`);
  if (!hasPartition) throw new ApiError("invalid_request", `"partition" is required with "partitions"`);
  const partitions = integerField(body, "partitions", 1, MAX_PARTITIONS);
  const partition = integerField(body, "partition", 0, partitions - 1);
  return { partition, partitions };
}

/**
 * Whether the request carries the `respond-async` preference (RFC 7240 §4.1): the caller wants an immediate
 * 202 rather than the result. Preferences are comma-separated tokens, case-insensitive, possibly with
 * parameters or values after `;` or `=`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7240#section-4.1
 */
export function prefersRespondAsync(prefer: string | null): boolean {
  if (prefer === null) return false;
  return prefer.split(",").some((part) => part.split(/[;=]/)[0]!.trim().toLowerCase() === "respond-async");
}
