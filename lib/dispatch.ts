import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable, Stream } from 'node:stream'
import { kSocketContext } from './symbols.js'

// Runs one virtual request through `fastify.routing` with a request/response pair of our own, in place
// of light-my-request. Fastify runs its whole lifecycle on it as for HTTP (hooks, body parsing,
// validation, serializers, error and 404 handlers, onResponse). Why: under the round-trip bench
// (`npm run bench -- --prof`) light-my-request was most of the plugin's cost: per request a Readable
// plus a real http.ServerResponse on a null socket, option handling, `new URL` parsing, header
// normalisation of input the plugin had already checked, HTTP header text rendered and parsed back,
// Buffer copies and a result object with cookie parsing; about 40 µs of CPU per request where this
// pair costs about 4, and 162 µs against raw socket.io's 31 for the whole round trip where it is now ~45.

/** What `fastify.routing` takes. */
export type Routing = (req: IncomingMessage, res: ServerResponse) => void

/** A virtual request, as the plugin built it from a checked envelope. */
export interface DispatchInput {
  method: string
  url: string
  /** Lower-case names, in a plain object built for this one request: the request takes it over. */
  headers: Record<string, string>
  /** JSON text of the body, if any. */
  payload: string | undefined
}

/** The answer: status, headers (lower-case names, as the route set them) and the body text. */
export interface DispatchOutput {
  statusCode: number
  headers: Record<string, string | number | string[]>
  payload: string
}

export type DispatchDone<T> = (token: T, err: Error | undefined, res: DispatchOutput | undefined) => void

/**
 * The connection of a virtual request as Fastify sees it (`request.socket`): the socket.io client's
 * address and whether its handshake came over TLS. One per socket.io socket, shared by its requests
 * the way an HTTP keep-alive connection is.
 */
export class VirtualConnection extends EventEmitter {
  readonly remoteAddress: string
  readonly remoteFamily: string
  readonly encrypted: boolean
  readonly destroyed = false
  _meta: unknown = null // Fastify's onTimeout bookkeeping lives here on a net.Socket

  constructor (remoteAddress: string, encrypted: boolean) {
    super()
    this.remoteAddress = remoteAddress
    this.remoteFamily = remoteAddress.includes(':') ? 'IPv6' : 'IPv4'
    this.encrypted = encrypted
  }

  setTimeout (): this { return this }
  setNoDelay (): this { return this }
  setKeepAlive (): this { return this }
  ref (): this { return this }
  unref (): this { return this }
  destroy (): this { return this }
}

/** The raw request: a readable stream of the JSON body, carrying the socket context under its symbol. */
class VirtualIncoming extends Readable {
  readonly method: string
  url: string
  readonly headers: Record<string, string>
  readonly socket: VirtualConnection
  readonly httpVersion = '1.1'
  readonly httpVersionMajor = 1
  readonly httpVersionMinor = 1
  readonly trailers: Record<string, string> = {}
  aborted = false
  complete = true
  readonly [kSocketContext]: unknown
  #body: Buffer | undefined

  constructor (context: unknown, connection: VirtualConnection, input: DispatchInput) {
    super({ autoDestroy: false })
    this[kSocketContext] = context
    this.method = input.method
    this.url = input.url
    this.socket = connection
    const headers = input.headers
    if (input.payload !== undefined) {
      this.#body = Buffer.from(input.payload, 'utf8')
      headers['content-length'] = String(this.#body.length)
    }
    this.headers = headers
  }

  get connection (): VirtualConnection { return this.socket }

  get rawHeaders (): string[] {
    const raw: string[] = []
    for (const name of Object.keys(this.headers)) raw.push(name, this.headers[name] as string)
    return raw
  }

  /**
   * The socket that sent this request went away. As for an HTTP client that hangs up, Fastify aborts
   * `request.signal` and runs the route's `onRequestAbort` hooks.
   */
  abort (): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('aborted')
    this.emit('close')
  }

  override _read (): void {
    const body = this.#body
    this.#body = undefined
    if (body !== undefined) this.push(body)
    this.push(null)
  }

  setTimeout (): this { return this }
}

function headersSentError (): Error {
  return Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })
}

// The Date header of HTTP answers, computed once a second rather than per request.
let dateText = ''
let dateSecond = -1
function httpDate (): string {
  const second = Math.floor(Date.now() / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(second * 1000).toUTCString()
  }
  return dateText
}

/**
 * The raw response: what Fastify (and code that writes `reply.raw` or pipes a stream into it) uses of
 * an http.ServerResponse. Like ServerResponse it is a legacy Stream, not a Writable: `write` takes the
 * chunk at once. The body is kept as given and handed over, with the headers, when the answer ends.
 */
class VirtualOutgoing<T> extends Stream {
  statusCode = 200
  statusMessage = ''
  headersSent = false
  sendDate = true
  writable = true
  writableEnded = false
  writableFinished = false
  finished = false
  destroyed = false
  readonly req: VirtualIncoming
  readonly socket: VirtualConnection
  readonly #headers: Record<string, string | number | string[]> = Object.create(null)
  readonly #chunks: Array<string | Buffer> = []
  readonly #hasBody: boolean
  readonly #done: DispatchDone<T>
  readonly #token: T
  #settled = false

  constructor (req: VirtualIncoming, done: DispatchDone<T>, token: T) {
    super()
    this.req = req
    this.socket = req.socket
    this.#hasBody = req.method !== 'HEAD'
    this.#done = done
    this.#token = token
  }

  get connection (): VirtualConnection { return this.socket }
  get writableLength (): number { return 0 }
  get writableNeedDrain (): boolean { return false }

  setHeader (name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw headersSentError()
    this.#headers[name.toLowerCase()] = Array.isArray(value) ? [...value as string[]] : value as string | number
    return this
  }

  appendHeader (name: string, value: string | readonly string[]): this {
    const key = name.toLowerCase()
    const prior = this.#headers[key]
    const added = Array.isArray(value) ? value as string[] : [value as string]
    this.#headers[key] = prior === undefined ? (added.length === 1 ? added[0] as string : [...added]) : [...(Array.isArray(prior) ? prior : [String(prior)]), ...added]
    return this
  }

  getHeader (name: string): string | number | string[] | undefined { return this.#headers[name.toLowerCase()] }
  getHeaders (): Record<string, string | number | string[]> { return Object.assign(Object.create(null), this.#headers) }
  getHeaderNames (): string[] { return Object.keys(this.#headers) }
  hasHeader (name: string): boolean { return this.#headers[name.toLowerCase()] !== undefined }

  removeHeader (name: string): void {
    if (this.headersSent) throw headersSentError()
    delete this.#headers[name.toLowerCase()]
  }

  writeHead (statusCode: number, reason?: string | Record<string, unknown> | unknown[], headers?: Record<string, unknown> | unknown[]): this {
    if (this.headersSent) throw headersSentError()
    this.statusCode = statusCode
    if (typeof reason === 'string') this.statusMessage = reason
    else headers = reason
    if (Array.isArray(headers)) {
      // [[name, value], ...] or [name, value, name, value, ...]
      if (Array.isArray(headers[0])) for (const [name, value] of headers as Array<[string, string]>) this.appendHeader(name, value)
      else for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(String(headers[i]), String(headers[i + 1]))
    } else if (headers !== undefined && headers !== null) {
      for (const name of Object.keys(headers)) {
        const value = headers[name]
        if (value !== undefined) this.#headers[name.toLowerCase()] = value as string
      }
    }
    this.headersSent = true
    return this
  }

  flushHeaders (): void { this.headersSent = true }

  write (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), callback?: (err?: Error | null) => void): boolean {
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
    if (this.writableEnded) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })
      // reported to whoever listens, never thrown: a late write must not take the process down
      process.nextTick(() => { callback?.(err); if (this.listenerCount('error') > 0) this.emit('error', err) })
      return false
    }
    this.headersSent = true
    if (this.#hasBody && this.statusCode !== 204 && this.statusCode !== 304 && chunk !== null && chunk !== undefined) {
      if (typeof chunk === 'string') this.#chunks.push(encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' ? chunk : Buffer.from(chunk, encoding))
      else this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    }
    if (callback !== undefined) process.nextTick(callback)
    return true
  }

  end (chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (typeof chunk === 'function') { callback = chunk; chunk = undefined } else if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
    if (this.writableEnded || this.destroyed) {
      if (typeof callback === 'function') process.nextTick(callback as () => void)
      return this
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk as string, encoding as BufferEncoding | undefined)
    this.headersSent = true
    this.writableEnded = true
    this.finished = true
    this.writable = false
    if (this.sendDate && this.#headers.date === undefined) this.#headers.date = httpDate()
    const output: DispatchOutput = { statusCode: this.statusCode, headers: this.#headers, payload: this.#text() }
    process.nextTick(() => {
      this.#settle(undefined, output)
      this.writableFinished = true
      if (typeof callback === 'function') (callback as () => void)()
      this.emit('finish')
      this.emit('close')
    })
    return this
  }

  destroy (err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.writable = false
    process.nextTick(() => {
      if (!this.writableFinished) {
        this.#settle(err ?? Object.assign(new Error('response destroyed before completion'), { code: 'ECONNRESET' }), undefined)
      }
      // as on a ServerResponse, a destroy with an error ends in 'close' (no 'error' nobody may be listening for)
      this.emit('close')
    })
    return this
  }

  addTrailers (): void {}
  writeEarlyHints (_hints: unknown, callback?: () => void): void { if (callback !== undefined) process.nextTick(callback) }
  setTimeout (): this { return this }
  cork (): void {}
  uncork (): void {}

  #text (): string {
    const chunks = this.#chunks
    if (chunks.length === 0) return ''
    if (chunks.length === 1 && typeof chunks[0] === 'string') return chunks[0]
    return Buffer.concat(chunks.map((c) => typeof c === 'string' ? Buffer.from(c, 'utf8') : c)).toString('utf8')
  }

  #settle (err: Error | undefined, output: DispatchOutput | undefined): void {
    if (this.#settled) return
    this.#settled = true
    this.#done(this.#token, err, output)
  }
}

/**
 * Runs one virtual request through Fastify's router. `context` is set on the raw request under
 * `kSocketContext` before routing; `done(token, err, output)` is called once, on the tick after the
 * answer ended (or with an error if the response was destroyed first).
 */
/** A dispatched request, as far as its caller needs it: it can be told its client went away. */
export interface Abortable { abort (): void }

export function dispatch<T> (routing: Routing, context: unknown, connection: VirtualConnection, input: DispatchInput,
  done: DispatchDone<T>, token: T): Abortable {
  const req = new VirtualIncoming(context, connection, input)
  const res = new VirtualOutgoing(req, done, token)
  try {
    routing(req as unknown as IncomingMessage, res as unknown as ServerResponse)
  } catch (err) {
    // Fastify reports its errors through the reply; should one escape, the request still ends, once
    res.destroy(err instanceof Error ? err : new Error(String(err)))
  }
  return req
}
