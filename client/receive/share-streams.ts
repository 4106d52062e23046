// Screen shares as the CLI's outputs see them (docs/CLIENT.md, Screen sharing): a share is a
// stream of its own (its own id), named after its sharer with "-screen", so --record writes it
// to its own file (DIR/NAME-screen-ID.mkv) and --view opens its own window.
import type { PeerInfo, WelcomeMessage } from "../../protocol/index.ts";

export function asStream(peer: PeerInfo): PeerInfo {
  return peer.source === "screen" ? { ...peer, name: `${peer.name}-screen` } : peer;
}

export function welcomeAsStreams(welcome: WelcomeMessage): WelcomeMessage {
  return { ...welcome, peers: welcome.peers.map(asStream) };
}
