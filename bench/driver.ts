/** Node side of every benchmark: a command to the page is bounded in time (a hung page must not hang the run). */

/** Resolves as `work` does, or rejects once `timeoutMs` passed without an answer. */
export async function within<T>(work: Promise<T>, timeoutMs: number, what: unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(what)} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
