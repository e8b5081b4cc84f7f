/** A database or queue URL with its password hidden, fit for a log line or an error message; otherwise as given. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
