// Camera, microphone and sound (WebCodecs, AudioWorklet) exist only in a secure context: https://,
// or http://localhost / 127.0.0.1. A page opened on http://LAN-ADDRESS gets none of them, so it
// says that, instead of blaming the browser, and points at the https address.

export interface SecureContextNotice {
  text: string;
  /** The same page over https://, for the link; served only by a relay started with --tls. */
  httpsUrl: string;
}

/** Null in a secure context; otherwise what the page tells its user. */
export function secureContextNotice(
  location: Pick<Location, "protocol" | "host" | "pathname" | "search">,
  isSecure: boolean,
): SecureContextNotice | null {
  if (isSecure) return null;
  const httpsUrl = `https://${location.host}${location.pathname}${location.search}`;
  // This page came over plain http from the relay's port, so that relay serves no TLS there.
  return {
    text:
      `Camera, microphone and sound need https:// or localhost; this page is on plain ` +
      `${location.protocol}//${location.host}, so you can only watch. The relay serves plain ` +
      `http here: start it with --tls self-signed (npm run relay -- --tls self-signed) and open `,
    httpsUrl,
  };
}

/** Fills the page's notice element (text, then the https link). */
export function showSecureContextNotice(element: HTMLElement, notice: SecureContextNotice): void {
  element.textContent = notice.text;
  const link = element.ownerDocument.createElement("a");
  link.href = notice.httpsUrl;
  link.textContent = notice.httpsUrl;
  element.append(link, ", or on the relay's own machine use http://localhost.");
  element.hidden = false;
}
