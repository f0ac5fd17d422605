/** A pairing that cannot be applied: a bad `formats` value, a path that does not fit it, paths that collide. */
export class PairingError extends Error {
  override readonly name = 'PairingError';
}
