/**
 * The JSON WebSocket Response of a socket request, as sails.io.js gives it: the server's ack
 * `{ body, statusCode, headers }`, plus `error` when the status is not 2xx/3xx (or 0: no answer).
 * `body` is the parsed JSON of a JSON answer, the text of a text answer, the bytes of any other (an image,
 * a file: an `ArrayBuffer` in browsers, a `Buffer` in Node, as socket.io delivers binary data), and
 * `undefined` when the answer has no body (HEAD, 204, 304), as in sails.io.js.
 *
 * @example
 * ```ts
 * const jwr = await socket.get('/user/1')
 * if (jwr.error) console.error(jwr.statusCode, jwr.body)
 * const png = await socket.get<ArrayBuffer>('/avatar.png')
 * img.src = URL.createObjectURL(new Blob([png.body], { type: String(png.headers['content-type']) }))
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

function isBytes (value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value)
}

// The body as an error message shows it: JSON, or a byte count for binary data (never its bytes as JSON).
function shown (body: unknown): string {
  if (isBytes(body)) return `<${body.byteLength} bytes>`
  try { return JSON.stringify(body) ?? String(body) } catch { return String(body) }
}

/** Builds a JWR from the server's ack argument; missing parts default as in sails.io.js (status 200, no headers, body undefined). */
export function jwrOfAck (ack: unknown): JWR {
  const raw = isObject(ack) && !isBytes(ack) ? ack : { body: ack }
  const statusCode = typeof raw.statusCode === 'number' ? raw.statusCode : 200
  const headers = isObject(raw.headers) ? raw.headers as Record<string, string | string[]> : {}
  const jwr: JWR = { body: raw.body, statusCode, headers }
  if (statusCode < 200 || statusCode >= 400) {
    jwr.error = Object.assign(new Error(`Server responded with a ${statusCode} status code: ${shown(jwr.body).slice(0, 500)}`), { statusCode })
  }
  return jwr
}
