/**
 * The id a request had on the wire, when an observer hands it to the core
 * under another one. The core pairs an answer with its request by id, one
 * request per id in flight; a proxy whose many clients share one session
 * (stateless HTTP) gives a request whose id another has in flight a pairing
 * key of its own. Spans and audit records name the request by the id the
 * host and the server saw, never by that key.
 */
const wireIds = new WeakMap<object, string>();

/** `message`, noted as a request whose id on the wire was `wireId`. Returns `message`. */
export function underPairingKey<T extends object>(message: T, wireId: string | number): T {
  wireIds.set(message, String(wireId));
  return message;
}

/** The id `message` had on the wire, if it was handed over under a pairing key. */
export function wireIdOf(message: object): string | undefined {
  return wireIds.get(message);
}
