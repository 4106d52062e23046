// A chat message as DOM nodes, never as HTML: plain text nodes, and http(s) links as anchors that
// open in a new tab without handing it this page (rel=noopener noreferrer). Anything else that
// looks like a link (javascript:, data:) stays text.

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Trailing punctuation that usually ends the sentence, not the URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

/** The URL when `text` is a safe http(s) link, else null. */
export function safeLink(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** Text and links of one message, for `element.append(...)`. */
export function chatNodes(text: string): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const raw = match[0].replace(TRAILING, "");
    const start = match.index ?? 0;
    const url = safeLink(raw);
    if (!url) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    const link = document.createElement("a");
    link.href = url.href;
    link.textContent = raw;
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    nodes.push(link);
    at = start + raw.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
