/**
 * When a connection must be refreshed again to keep an idle refresh token alive: the keep-alive interval
 * (`REFRESH_KEEPALIVE_DAYS`, default 7), never later than half the provider's idle lifetime, or null when
 * the access token expires first anyway (the usual case: proactive refresh then uses the refresh token).
 */
export function keepAliveAt(
  idleSeconds: number | undefined,
  accessTokenExpiresAt: Date,
  now: Date,
  keepAliveDays = 7,
): Date | null {
  if (!idleSeconds) return null;
  const intervalMs = Math.min(keepAliveDays * 86_400_000, (idleSeconds * 1000) / 2);
  const at = new Date(now.getTime() + intervalMs);
  return accessTokenExpiresAt.getTime() > at.getTime() ? at : null;
}

export function keepAliveDaysFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const v = Number(env.REFRESH_KEEPALIVE_DAYS);
  return Number.isFinite(v) && v >= 1 && v <= 365 ? v : 7;
}
