// The one gate for tests that need a real peer program (util-linux's uuidgen, uuidparse, uuidd; exim4; gpg;
// chromium; promtool): the peer
// table and its installer are scripts/peers.mjs (`npm run peers`; `npm test` runs it first when it can install).
import { describe, it } from 'vitest';
import { debsOf, INSTALL_COMMAND, missingPeers, PEERS } from '../../../scripts/peers.mjs';

/** A peer program of the tests, by name. */
export type PeerName = 'uuidgen' | 'uuidparse' | 'uuidd' | 'exim4' | 'gpg' | 'chromium' | 'promtool';

/** Whether this run is CI, where a missing peer is a failure, never a skip. */
export const inCI = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';

/** The absolute path of a peer program. */
export function peerPath(name: PeerName): string {
  const peer = PEERS.find((p) => p.name === name);
  if (!peer) throw new Error(`no such peer: ${name}`);
  return peer.path;
}

/**
 * Why tests needing `names` cannot run here (naming the missing programs, their Debian packages and the command
 * that installs them), or undefined when every one is installed.
 */
export function peersMissingReason(names: readonly PeerName[]): string | undefined {
  const missing = missingPeers(names);
  if (missing.length === 0) return undefined;
  return (
    `needs ${missing.map((p) => p.path).join(', ')} (Debian ${debsOf(missing).join(', ')}; ` +
    `install with \`${INSTALL_COMMAND}\`)`
  );
}

/**
 * `describe` for tests that drive real peers: runs them when the peers are installed; otherwise skips them with
 * the reason in the title, or, when CI is set, replaces them with one failing test that names what is missing.
 */
export function describeWithPeers(names: readonly PeerName[], title: string, body: () => void): void {
  const reason = peersMissingReason(names);
  if (reason === undefined) {
    describe(title, body);
  } else if (inCI()) {
    describe(title, () => {
      it('has its peer programs installed (CI=true: a missing peer is a failure)', () => {
        throw new Error(`${title}: ${reason}`);
      });
    });
  } else {
    describe.skip(`${title} [skipped: ${reason}]`, body);
  }
}

/**
 * For `it.skipIf`: the reason tests needing `names` are skipped here, or '' when they run: always '' under CI,
 * where the test then fails on the missing program rather than being skipped.
 */
export function skipWithoutPeers(names: readonly PeerName[]): string {
  return inCI() ? '' : (peersMissingReason(names) ?? '');
}
