import { expect } from "vitest";
import { ProviderConfigError } from "./provider-config-error.ts";

/** Runs `fn`, expecting it to throw a ProviderConfigError, and returns that error (tests only). */
export function configError(fn: () => unknown): ProviderConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderConfigError);
    return error as ProviderConfigError;
  }
  throw new Error("expected a ProviderConfigError");
}
