// Text from other people, made safe to print: a chat message or a name could carry terminal
// escape sequences (clear the screen, retitle the window, fake a status line). Every control
// character (C0, DEL, C1) and bidirectional override becomes a visible \uXXXX, and line breaks
// become " ⏎ " so a message stays one line.

function unsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

export function printable(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue; // CRLF: one break
    if (code === 0x0a || code === 0x0d) out += " ⏎ ";
    else if (code === 0x09) out += " ";
    else if (unsafe(code)) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += text[i];
  }
  return out;
}
