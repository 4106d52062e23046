// What both clients do with the relay's welcome and with a lost connection, before their own part
// (the CLI's status line and outputs, the page's tiles): the welcome decides whether we ack and
// ask for layers, and the relay's frame limit; ids and ack state belong to one connection.
import type { WelcomeMessage } from "../protocol/index.ts";
import type { Acker } from "./acker.ts";
import type { InboundFrames } from "./inbound-frames.ts";
import type { LayerRequests } from "./layer-choice.ts";

export interface ConnectionParts {
  acker: Acker;
  layerRequests: LayerRequests;
  inbound: InboundFrames;
  /** Senders that must keep under the relay's maxFrameBytes (null: this client sends none). */
  sender: { maxFrameBytes: number } | null;
}

export function followWelcome(welcome: WelcomeMessage, parts: ConnectionParts): void {
  parts.acker.welcome(welcome);
  parts.layerRequests.setEnabled(welcome.layers === true);
  parts.inbound.maxFrameBytes = welcome.limits.maxFrameBytes;
  if (parts.sender) parts.sender.maxFrameBytes = welcome.limits.maxFrameBytes;
}

export function followConnectionLost(parts: ConnectionParts): void {
  parts.acker.reset();
}
