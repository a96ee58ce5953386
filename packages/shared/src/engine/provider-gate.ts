/**
 * Admission control for calls to providers during a scheduled run: a bound on calls in flight overall and
 * per provider, a pause per provider when it answers 429 (one provider's rate limit pauses only that
 * provider), and a circuit breaker per provider that opens after a run of transient failures (a 5xx storm)
 * and lets one trial call through after a cooldown.
 *
 * Each provider starts slow: one call in flight until one succeeds, then twice as many after each success
 * up to its limit. A provider that answers 429, 5xx or invalid_client at the start of a run costs one call,
 * not a full burst.
 */
export interface ProviderGateOptions {
  /** Calls in flight across all providers. */
  overall: number;
  /** Calls in flight for one provider (a provider's own limit may be lower, e.g. Xero's 5). */
  perProvider: (provider: string) => number;
  /** Consecutive transient failures that open a provider's circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses calls before one trial call. */
  breakerCooldownMs: number;
  now?: () => number;
}

interface ProviderState {
  inFlight: number;
  successes: number;
  pausedUntil: number;
  consecutiveTransient: number;
  openUntil: number;
  trialInFlight: boolean;
}

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; reason: "paused" | "circuit_open"; retryAt: number };

export class ProviderGate {
  readonly #opts: ProviderGateOptions;
  readonly #now: () => number;
  readonly #providers = new Map<string, ProviderState>();
  #inFlight = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(opts: ProviderGateOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  #state(provider: string): ProviderState {
    let s = this.#providers.get(provider);
    if (!s) this.#providers.set(provider, (s = { inFlight: 0, successes: 0, pausedUntil: 0, consecutiveTransient: 0, openUntil: 0, trialInFlight: false }));
    return s;
  }

  /** Why a provider cannot be called now, or null. Does not wait. */
  blocked(provider: string): { reason: "paused" | "circuit_open"; retryAt: number } | null {
    const s = this.#state(provider);
    const now = this.#now();
    if (s.pausedUntil > now) return { reason: "paused", retryAt: s.pausedUntil };
    if (s.openUntil > now || (s.openUntil > 0 && s.trialInFlight)) {
      return { reason: "circuit_open", retryAt: Math.max(s.openUntil, now + 1000) };
    }
    return null;
  }

  /**
   * Waits for a free slot (overall and for the provider), unless the provider is paused or its circuit is
   * open, in which case it answers at once so the caller can reschedule the work.
   */
  async admit(provider: string): Promise<Admission> {
    for (;;) {
      const b = this.blocked(provider);
      if (b) return { admitted: false, ...b };
      const s = this.#state(provider);
      const limit = Math.min(this.#opts.perProvider(provider), 2 ** Math.min(s.successes, 16));
      if (this.#inFlight < this.#opts.overall && s.inFlight < limit) {
        this.#inFlight += 1;
        s.inFlight += 1;
        if (s.openUntil > 0) s.trialInFlight = true;
        let released = false;
        return {
          admitted: true,
          release: () => {
            if (released) return;
            released = true;
            this.#inFlight -= 1;
            s.inFlight -= 1;
            this.#waiters.splice(0).forEach((w) => w());
          },
        };
      }
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** The provider asked us to wait (429): no calls to it before `untilMs`. */
  pause(provider: string, untilMs: number): void {
    const s = this.#state(provider);
    s.pausedUntil = Math.max(s.pausedUntil, untilMs);
    this.#waiters.splice(0).forEach((w) => w());
  }

  recordSuccess(provider: string): void {
    const s = this.#state(provider);
    s.successes += 1;
    s.consecutiveTransient = 0;
    s.openUntil = 0;
    s.trialInFlight = false;
    this.#waiters.splice(0).forEach((w) => w());
  }

  recordTransient(provider: string): void {
    const s = this.#state(provider);
    s.consecutiveTransient += 1;
    if (s.trialInFlight || s.consecutiveTransient >= this.#opts.breakerThreshold) {
      s.openUntil = this.#now() + this.#opts.breakerCooldownMs;
      s.trialInFlight = false;
      this.#waiters.splice(0).forEach((w) => w());
    }
  }

  /** Providers whose circuit is open now, for the run's summary. */
  openCircuits(): string[] {
    const now = this.#now();
    return [...this.#providers.entries()].filter(([, s]) => s.openUntil > now).map(([p]) => p);
  }

  inFlight(provider?: string): number {
    return provider === undefined ? this.#inFlight : this.#state(provider).inFlight;
  }
}
