/** The codes of {@link FleetError}. */
export type FleetErrorCode =
  /** pg-boss or pg is not installed, or Node is older than pg-boss 12 needs. */
  | 'ENOPEER'
  /** The database could not be reached or refused a statement. */
  | 'EDATABASE'
  /** A job cannot be sent to the fleet (a `run` function, a `cmd=` barrier). */
  | 'EBADJOB';

/**
 * An error of the fleet adapter, with a `code` a program can test.
 * @example
 * try { await openFleet({ url }) } catch (e) { if (e instanceof FleetError && e.code === 'EDATABASE') console.error(e.message) }
 */
export class FleetError extends Error {
  override readonly name = 'FleetError';
  constructor(
    readonly code: FleetErrorCode,
    message: string,
  ) {
    super(message);
  }
}
