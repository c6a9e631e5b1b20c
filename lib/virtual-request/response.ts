import { Stream } from 'node:stream'
import type { VirtualConnection, VirtualIncoming } from './request.js'

// The response side of the virtual HTTP pair: what Fastify and route code use of a ServerResponse.

/** The answer: status, headers (lower-case names, as the route set them) and the body text. */
export interface DispatchOutput {
  statusCode: number
  headers: Record<string, string | number | string[]>
  payload: string
}

export type DispatchDone<T> = (token: T, err: Error | undefined, res: DispatchOutput | undefined) => void

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
export class VirtualOutgoing<T> extends Stream {
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
