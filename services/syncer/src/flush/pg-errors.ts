/**
 * Whether a Postgres error means "the database is unreachable" (retry everything later, no entry is to blame)
 * rather than "this statement is wrong" (find the entry at fault). postgres.js reports network failures with
 * Node error codes or its own CONNECTION_* codes; the server's SQLSTATE classes 08 (connection) and 57P
 * (operator intervention: shutdown, crash) mean the same.
 */
export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|CONNECTION_\w+|CONNECT_TIMEOUT)$/.test(code)) return true;
    if (code.startsWith('08') || code.startsWith('57P')) return true;
  }
  return false;
}
