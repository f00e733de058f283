/**
 * A `fetch` for an SDK client transport that records what the host sends
 * and receives: each request's method, URL path, headers and body, and each
 * response's status, headers and body bytes as they reach the host (the
 * body is teed, the client reads its own copy as it streams).
 */
export interface HostExchange {
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: [string, string][];
  readonly requestBody: string;
  status?: number;
  responseHeaders?: [string, string][];
  responseBody: Buffer;
}

export function recordingFetch(into: HostExchange[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const ex: HostExchange = {
      method: request.method,
      path: new URL(request.url).pathname,
      requestHeaders: [...request.headers],
      requestBody: request.body ? await request.clone().text() : '',
      responseBody: Buffer.alloc(0),
    };
    into.push(ex);
    const response = await fetch(request);
    ex.status = response.status;
    ex.responseHeaders = [...response.headers];
    if (!response.body) return response;
    const [mine, theirs] = response.body.tee();
    void (async () => {
      const parts: Buffer[] = [];
      try {
        for await (const c of mine) {
          parts.push(Buffer.from(c));
          ex.responseBody = Buffer.concat(parts);
        }
      } catch {
        // The client aborted the stream (a listen stream closed): what came is recorded.
      }
    })();
    return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
