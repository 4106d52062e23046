// Wire protocol v1: the one module the relay, the client, the bench and the browser page share.
export * from "./audio.ts";
export * from "./control.ts";
export * from "./frame.ts";
export * from "./frame-encryption.ts";
export * from "./h264-sps.ts";
export * from "./join-options.ts";
export * from "./layers.ts";
export * from "./paths.ts";
export * from "./room-control.ts";
