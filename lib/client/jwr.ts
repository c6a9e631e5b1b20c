/**
 * The JSON WebSocket Response of a socket request, as sails.io.js gives it: the server's ack
 * `{ body, statusCode, headers }`, plus `error` when the status is not 2xx/3xx (or 0: no answer).
 *
 * @example
 * ```ts
 * const jwr = await socket.get('/user/1')
 * if (jwr.error) console.error(jwr.statusCode, jwr.body)
 * ```
 */
export interface JWR<Body = unknown> {
  body: Body
  statusCode: number
  headers: Record<string, string | string[]>
  /** Set when `statusCode` is below 200 or 400 and above (sails.io.js' `jwr.error`). */
  error?: Error
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Builds a JWR from the server's ack argument; missing parts default as in sails.io.js (status 200, no headers). */
export function jwrOfAck (ack: unknown): JWR {
  const raw = isObject(ack) ? ack : { body: ack }
  const statusCode = typeof raw.statusCode === 'number' ? raw.statusCode : 200
  const headers = isObject(raw.headers) ? raw.headers as Record<string, string | string[]> : {}
  const jwr: JWR = { body: raw.body ?? null, statusCode, headers }
  if (statusCode < 200 || statusCode >= 400) {
    let shown: string
    try { shown = JSON.stringify(jwr.body) ?? String(jwr.body) } catch { shown = String(jwr.body) }
    jwr.error = Object.assign(new Error(`Server responded with a ${statusCode} status code: ${shown.slice(0, 500)}`), { statusCode })
  }
  return jwr
}
