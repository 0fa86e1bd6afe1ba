/** A real program some tests compare against, and the Debian package that provides it. */
export interface Peer {
  readonly name: string;
  readonly path: string;
  readonly deb: string;
}
export declare const PEERS: readonly Peer[];
export declare const INSTALL_COMMAND: string;
export declare function missingPeers(names?: readonly string[]): Peer[];
export declare function debsOf(peers: readonly Peer[]): string[];
