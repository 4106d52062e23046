// The "stalled" receiver: joins a room, says "ready" on stdout, then is SIGSTOPped by the bench.
// A stopped process truly stops reading: the kernel fills its receive buffer, then the relay's
// socket backs up. (A live client that ignores frames would still read them off the socket.)
import { parseControl } from "../../protocol/index.ts";

const url = process.argv[2];
if (!url) throw new Error("usage: bun bench/processes/stalled-receiver.ts WS_URL");

const socket = new WebSocket(url);
const legacy = new URL(url).pathname === "/";
const announce = () => console.log("ready");
if (legacy) socket.addEventListener("open", announce, { once: true });
else {
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string" && parseControl(event.data)?.type === "welcome") announce();
  });
}
socket.addEventListener("close", (event) => {
  console.error(`stalled receiver closed: ${event.code}`);
  process.exit(0);
});
