/**
 * A URL as it may appear in a message, a log or /healthz: user name and password masked (a
 * consortium node's RPC URL or a kubo address may carry credentials). Anything that is not an
 * absolute URL is returned as it is.
 */
export function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (!url.username && !url.password) return value;
  if (url.username) url.username = '***';
  if (url.password) url.password = '***';
  return url.toString();
}

/** `text` with the credentials of every URL in it masked: for error messages that quote URLs. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}
