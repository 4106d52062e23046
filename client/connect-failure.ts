// Why a connect to the relay failed, in one line, and whether trying again can help. Bun's
// WebSocket error says what went wrong at the network level ("Failed to connect ECONNREFUSED",
// "TLS handshake failed: self signed certificate DEPTH_ZERO_SELF_SIGNED_CERT", "Expected 101
// status code: 403"); an HTTP refusal's reason is read by probing the relay (refusal-probe.ts).
import { refusal } from "../client-core/refusals.ts";
import { probeRefusal } from "./refusal-probe.ts";

export interface ConnectFailure {
  /** One line for the terminal, e.g. "relay not reachable at 127.0.0.1:8765 (connection refused)". */
  line: string;
  /** False when trying again can't fix it (a certificate, a wrong scheme, a refused token). */
  retry: boolean;
}

/** Certificate checks that fail the same way on every try. */
const CERTIFICATE_CODES = [
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
];

export interface FailureContext {
  /** The relay's ws:// or wss:// URL. */
  url: string;
  /** The WebSocket error's message ("" when it gave none). */
  error: string;
  init: Bun.WebSocketOptions;
  /** Whether --ca was given (an untrusted certificate then means the wrong file). */
  hasCa: boolean;
  /** Whether this client was connected before: a name that stops resolving may come back. */
  wasConnected: boolean;
}

/** HOST:PORT of a ws(s):// URL, with the scheme's default port filled in. */
export function hostPort(url: string): { host: string; port: string; secure: boolean } {
  const parsed = new URL(url);
  const secure = parsed.protocol === "wss:";
  return { host: parsed.hostname, port: parsed.port || (secure ? "443" : "80"), secure };
}

export async function explainConnectFailure(context: FailureContext): Promise<ConnectFailure> {
  const { error, url } = context;
  const { host, port, secure } = hostPort(url);
  const at = `${host}:${port}`;
  const status = /Expected 101 status code: (\d{3})/.exec(error);
  if (status || error === "") {
    // The relay answered with an HTTP status (or we don't know what happened): ask it why.
    const refused = await probeRefusal(url, context.init);
    if (refused) {
      return {
        line: `the relay refused the connection: HTTP ${refused.status} ${refused.reason}`,
        retry: !refused.permanent,
      };
    }
    if (status) {
      const answer = refusal(Number(status[1]), "");
      return {
        line: `the relay at ${at} answered HTTP ${answer.status} instead of a WebSocket`,
        retry: !answer.permanent,
      };
    }
    return { line: `cannot reach the relay at ${url}`, retry: true };
  }
  const certificate = CERTIFICATE_CODES.find((code) => error.includes(code));
  if (certificate) {
    const why = /TLS handshake failed: (.*?)\s*[A-Z_]+$/.exec(error)?.[1] || certificate;
    return {
      line: context.hasCa
        ? `the relay's certificate at ${at} is not trusted (${why}), even with --ca: ` +
          "give the relay's own certificate or the CA that signed it"
        : `the relay's certificate at ${at} is not trusted (${why}): ` +
          "give the certificate (or the CA that signed it) with --ca FILE",
      retry: false,
    };
  }
  if (secure && /EPROTO|WRONG_VERSION_NUMBER/.test(error)) {
    return {
      line: `${at} does not speak TLS: for a relay without --tls-cert use ws://${at}`,
      retry: false,
    };
  }
  if (/ECONNREFUSED/.test(error)) {
    return { line: `relay not reachable at ${at} (connection refused)`, retry: true };
  }
  if (/ENOTFOUND/.test(error)) {
    // A name that never resolved is a typo; one that did may be a network that went away.
    return {
      line: `cannot resolve ${host} (DNS): check the relay's address`,
      retry: context.wasConnected,
    };
  }
  if (!secure && /ECONNRESET|Connection ended|HPE_/.test(error)) {
    if (await speaksTls(host, port)) {
      return {
        line: `${at} speaks TLS: use wss://${at} (with --ca FILE for a self-signed certificate)`,
        retry: false,
      };
    }
    if (/HPE_/.test(error)) {
      return { line: `${at} is not a framecast relay (its answer is not HTTP)`, retry: false };
    }
  }
  const detail = error.replace(/^WebSocket connection to '[^']*' failed: /, "");
  return { line: `cannot reach the relay at ${at} (${detail})`, retry: true };
}

/** Whether HOST:PORT completes a TLS handshake (any certificate): a wss:// relay behind ws://. */
async function speaksTls(host: string, port: string): Promise<boolean> {
  try {
    // URL hostnames keep an IPv6 address's brackets, as a URL needs them.
    await fetch(`https://${host}:${port}/healthz`, {
      tls: { rejectUnauthorized: false },
      signal: AbortSignal.timeout(2000),
    });
    return true;
  } catch {
    return false;
  }
}
