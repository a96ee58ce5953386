/** What the browser test's app page puts on `window` (shared by the page and the test). */
declare global {
  interface Window {
    __config: { apiUrl: string; anonKey: string };
    app: {
      start(provider: string, options?: Record<string, unknown>): Promise<unknown>;
      getToken(provider: string, account?: string): Promise<unknown>;
      list(): Promise<unknown>;
      disconnect(provider: string, account?: string): Promise<unknown>;
      complete(connect: unknown): Promise<unknown>;
      raw(name: string, init: { method?: string; body?: string; token?: string }): Promise<unknown>;
    };
    completion: Promise<unknown>;
  }
}

export {};
