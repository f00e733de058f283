/**
 * The Host header a request goes upstream with.
 *
 * A host that addressed the proxy (by a loopback name, by the listen
 * address, or by the address its connection reached) meant the upstream:
 * the upstream's own name goes on, as a reverse proxy must send it for
 * virtual hosting and for a server that checks host and port.
 *
 * Any other name, in front of a loopback upstream, goes on as it came. Such
 * a request is what DNS rebinding makes: a web page whose name resolves to
 * 127.0.0.1 reaches the proxy with `Host: evil.example`. A local server
 * refuses it by its Host (the MCP SDK's `createMcpExpressApp()` does), and
 * it must still see that name to refuse it, as it would without the proxy.
 * A remote upstream always gets its own name: its virtual hosting needs it,
 * and a page could reach it directly anyway.
 */

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

/** A hostname as `new URL` spells it (IPv6 in brackets), of an address or a listen host. */
function asHostname(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return plain.includes(':') ? `[${plain}]` : plain.toLowerCase();
}

function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The hostname a Host header names; undefined when it is no valid authority. */
function hostnameOf(host: string): string | undefined {
  try {
    const url = new URL(`http://${host}`);
    // `evil.example/x` or `a@b` parse, but are no authority: not the proxy's name.
    return url.username || url.password || url.pathname !== '/' || url.search || url.hash ? undefined : url.hostname;
  } catch {
    return undefined;
  }
}

export interface HostContext {
  /** The Host the request came with, if any. */
  readonly received: string | undefined;
  /** The local address its connection reached (the socket's). */
  readonly localAddress: string | undefined;
  /** The host of `--listen`. */
  readonly listenHost: string;
  readonly upstream: URL;
}

export function upstreamHost(c: HostContext): string {
  if (c.received === undefined || !isLoopbackHostname(c.upstream.hostname)) return c.upstream.host;
  const named = hostnameOf(c.received);
  const proxyNames = [asHostname(c.listenHost), ...(c.localAddress ? [asHostname(c.localAddress)] : [])];
  if (named !== undefined && (isLoopbackHostname(named) || proxyNames.includes(named))) return c.upstream.host;
  return c.received;
}
