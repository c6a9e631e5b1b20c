import { STATUS_CODES } from 'node:http'
import { Stream } from 'node:stream'
import type { VirtualConnection, VirtualIncoming } from './request.js'
import type { Chunks } from './body.js'
import { NullObject } from '../common/values.js'
import {
  checkChunk, checkHeadersArgument, checkHeaderName, checkHeaderValue, headerListError, checkNameArgument, checkStatusCode, checkStatusMessage,
  checkTrailers, headersSentError
} from './node-checks.js'

// The response side of the virtual HTTP pair: what Fastify and route code use of a ServerResponse, with its
// argument checks (node-checks.ts). What it knowingly leaves out is listed, with the reasons, in not-emulated.ts.

type HeaderValue = string | number | string[]

/** The answer: status, headers (lower-case names, as the route set them, trailers added) and the body as written. */
export interface DispatchOutput {
  statusCode: number
  headers: Record<string, HeaderValue>
  /** The body as written: UTF-8 strings and Buffers, in order; empty when there is none. */
  body: Chunks
}

export type DispatchDone<T> = (token: T, err: Error | undefined, res: DispatchOutput | undefined) => void

// The Date header of HTTP answers, as Node's http keeps it: made on first use, dropped at the turn of the
// second by an unref'd timer, so an answer reads a string instead of the clock.
let dateText: string | undefined
function dropDate (): void { dateText = undefined }
function httpDate (): string {
  if (dateText === undefined) {
    const now = new Date()
    dateText = now.toUTCString()
    setTimeout(dropDate, 1000 - now.getMilliseconds()).unref()
  }
  return dateText
}

// Header names in lower case, as the map keeps them: answers write the same few names, each lowered once.
const lowered = new Map<string, string>()
function keyOf (name: string): string {
  let key = lowered.get(name)
  if (key === undefined) {
    key = name.toLowerCase()
    if (lowered.size < 512 && name.length <= 128) lowered.set(name, key)
  }
  return key
}

function checkHeader (name: string, value: unknown): void {
  checkHeaderName(name)
  if (Array.isArray(value)) for (const item of value) checkHeaderValue(name, item)
  else checkHeaderValue(name, value)
}

function copyValue (value: unknown): HeaderValue {
  return Array.isArray(value) ? value.map(String) : value as string | number
}

/**
 * The raw response: what Fastify (and code that writes `reply.raw` or pipes a stream into it) uses of
 * an http.ServerResponse. Like ServerResponse it is a legacy Stream, not a Writable: `write` takes the
 * chunk at once. The body is kept as given and handed over, with the headers, when the answer ends.
 */
export class VirtualOutgoing<T> {
  statusCode = 200
  statusMessage: string | undefined = undefined
  headersSent = false
  sendDate = true
  writable = true
  writableEnded = false
  writableFinished = false
  finished = false
  destroyed = false
  readonly req: VirtualIncoming
  readonly socket: VirtualConnection
  readonly #headers = new NullObject<Record<string, HeaderValue>>()
  // original spellings, only of names that were not given in lower case (getRawHeaderNames)
  #rawNames: Record<string, string> | undefined
  #trailers: Record<string, string> | undefined
  readonly #chunks: Array<string | Buffer> = []
  #hasBody: boolean
  readonly #done: DispatchDone<T>
  readonly #token: T
  #settled = false
  // Set once setHeader has been called, as Node's header map is: writeHead then takes its headers one by one
  #progressive = false
  #closed = false
  #errored: Error | null = null

  constructor (req: VirtualIncoming, done: DispatchDone<T>, token: T) {
    this.req = req
    this.socket = req.socket
    this.#hasBody = req.method !== 'HEAD'
    this.#done = done
    this.#token = token
  }

  get connection (): VirtualConnection { return this.socket }
  get writableLength (): number { return 0 }
  get writableNeedDrain (): boolean { return false }
  get writableHighWaterMark (): number { return 16384 }
  get writableCorked (): number { return 0 }
  get writableObjectMode (): boolean { return false }
  get closed (): boolean { return this.#closed }
  get errored (): Error | null { return this.#errored }

  #store (name: string, value: HeaderValue): void {
    const key = keyOf(name)
    if (key !== name) (this.#rawNames ??= Object.create(null) as Record<string, string>)[key] = name
    else if (this.#rawNames !== undefined) delete this.#rawNames[key]
    this.#headers[key] = value
  }

  setHeader (name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw headersSentError('set')
    checkHeaderName(name)
    checkHeaderValue(name, value)
    this.#progressive = true
    this.#store(name, copyValue(value))
    return this
  }

  setHeaders (headers: Headers | Map<string, string | number | readonly string[]>): this {
    if (this.headersSent) throw headersSentError('set')
    checkHeadersArgument(headers)
    // As Node does: a Headers object joins set-cookie values when read by name, so they are gathered here.
    const cookies: string[] = []
    for (const [name, value] of headers as Iterable<[string, string | number | readonly string[]]>) {
      if (name === 'set-cookie') cookies.push(...(Array.isArray(value) ? value as string[] : [value as string]))
      else this.setHeader(name, value)
    }
    if (cookies.length > 0) this.setHeader('set-cookie', cookies)
    return this
  }

  appendHeader (name: string, value: string | readonly string[]): this {
    if (this.headersSent) throw headersSentError('append')
    checkHeaderName(name)
    checkHeaderValue(name, value)
    const key = keyOf(name)
    const prior = this.#headers[key]
    if (prior === undefined) return this.setHeader(name, value)
    const added = Array.isArray(value) ? value.map(String) : [String(value)]
    this.#headers[key] = [...(Array.isArray(prior) ? prior : [String(prior)]), ...added]
    return this
  }

  getHeader (name: string): HeaderValue | undefined {
    checkNameArgument(name)
    return this.#headers[keyOf(name)]
  }

  getHeaders (): Record<string, HeaderValue> { return Object.assign(Object.create(null), this.#headers) }
  getHeaderNames (): string[] { return Object.keys(this.#headers) }
  getRawHeaderNames (): string[] { return Object.keys(this.#headers).map((key) => this.#rawNames?.[key] ?? key) }

  hasHeader (name: string): boolean {
    checkNameArgument(name)
    return this.#headers[keyOf(name)] !== undefined
  }

  removeHeader (name: string): void {
    checkNameArgument(name)
    if (this.headersSent) throw headersSentError('remove')
    const key = keyOf(name)
    delete this.#headers[key]
    if (this.#rawNames !== undefined) delete this.#rawNames[key]
  }

  writeHead (statusCode: number, reason?: string | Record<string, unknown> | unknown[], headers?: Record<string, unknown> | unknown[]): this {
    if (this.headersSent) throw headersSentError('write')
    const code = checkStatusCode(statusCode)
    if (typeof reason === 'string') {
      this.statusMessage = reason
    } else {
      this.statusMessage ||= STATUS_CODES[code] ?? 'unknown'
      headers ??= reason
    }
    this.statusCode = code
    if (this.#progressive) {
      // As Node once setHeader was used: each header goes through setHeader, and those before a refused one stay.
      for (const [name, value] of headersOf(headers)) if (name !== '') this.setHeader(name, value as string)
      checkStatusMessage(this.statusMessage as string)
    } else if (headers === undefined || headers === null || Array.isArray(headers)) {
      checkStatusMessage(this.statusMessage as string)
      const given = headersOf(headers)
      for (const [name, value] of given) checkHeader(name, value)
      for (const [name, value] of given) this.#store(name, copyValue(value))
    } else {
      // As Node otherwise, and what Fastify does on every answer: the status line, then the headers are checked
      // as they are rendered; a refused one keeps none of them. (No pairs built: this is the hot path.)
      checkStatusMessage(this.statusMessage as string)
      const names = Object.keys(headers)
      for (const name of names) checkHeader(name, headers[name])
      for (const name of names) this.#store(name, copyValue(headers[name]))
    }
    if (code === 204 || code === 304 || (code >= 100 && code <= 199)) this.#hasBody = false
    this.headersSent = true
    return this
  }

  /** Node's deprecated alias of `writeHead`. */
  writeHeader (statusCode: number, reason?: string | Record<string, unknown> | unknown[], headers?: Record<string, unknown> | unknown[]): this {
    return this.writeHead(statusCode, reason, headers)
  }

  _implicitHeader (): void { this.writeHead(this.statusCode) }

  flushHeaders (): void { if (!this.headersSent) this._implicitHeader() }

  write (chunk: string | Uint8Array, encoding?: BufferEncoding | null | ((err?: Error | null) => void), callback?: (err?: Error | null) => void): boolean {
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
    checkChunk(chunk)
    if (this.writableEnded) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })
      // reported to whoever listens, never thrown: a late write must not take the process down
      process.nextTick(() => { callback?.(err); if (this.listenerCount('error') > 0) this.emit('error', err) })
      return false
    }
    if (!this.headersSent) this._implicitHeader()
    if (this.#hasBody && chunk.length > 0) {
      // Fastify ends every answer with end(payload, null, null): a null encoding is UTF-8, as for Node, and
      // the string is kept as is (before, each answer was copied into a Buffer, then decoded back)
      if (typeof chunk === 'string') this.#chunks.push(encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8' ? chunk : Buffer.from(chunk, encoding))
      else this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    }
    if (typeof callback === 'function') process.nextTick(callback)
    return true
  }

  end (chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (typeof chunk === 'function') { callback = chunk; chunk = undefined } else if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
    if (this.writableEnded || this.destroyed) {
      if (typeof callback === 'function') process.nextTick(callback as () => void)
      return this
    }
    // as Node: a falsy chunk ('' included) writes nothing
    if (chunk !== undefined && chunk !== null && chunk !== '' && chunk !== 0 && chunk !== false) this.write(chunk as string, encoding as BufferEncoding | undefined)
    if (!this.headersSent) this._implicitHeader()
    this.writableEnded = true
    this.finished = true
    this.writable = false
    if (this.sendDate && this.#headers.date === undefined) this.#headers.date = httpDate()
    if (this.#trailers !== undefined) Object.assign(this.#headers, this.#trailers)
    const output: DispatchOutput = { statusCode: this.statusCode, headers: this.#headers, body: this.#chunks }
    // one function for every answer, not a closure per end()
    process.nextTick(VirtualOutgoing.#finish, this, output, callback)
    return this
  }

  static #finish (res: VirtualOutgoing<unknown>, output: DispatchOutput, callback: unknown): void {
    res.#settle(undefined, output)
    res.writableFinished = true
    if (typeof callback === 'function') (callback as () => void)()
    res.emit('finish')
    res.#closed = true
    res.emit('close')
  }

  destroy (err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.writable = false
    if (err !== undefined) this.#errored = err
    process.nextTick(() => {
      if (!this.writableFinished) {
        this.#settle(err ?? Object.assign(new Error('response destroyed before completion'), { code: 'ECONNRESET' }), undefined)
      }
      // as on a ServerResponse, a destroy with an error ends in 'close' (no 'error' nobody may be listening for)
      this.#closed = true
      this.emit('close')
    })
    return this
  }

  /** Trailers reach the JWR as headers: a socket answer arrives whole, so there is no "after the body". */
  addTrailers (trailers: Record<string, string> | ReadonlyArray<[string, string]>): void {
    checkTrailers(trailers)
    const entries = Array.isArray(trailers) ? trailers as Array<[string, string]> : Object.entries(trailers)
    this.#trailers ??= Object.create(null) as Record<string, string>
    for (const [name, value] of entries) this.#trailers[name.toLowerCase().trim()] = String(value).trim()
  }

  writeContinue (callback?: () => void): void { if (callback !== undefined) process.nextTick(callback) }
  writeProcessing (callback?: () => void): void { if (callback !== undefined) process.nextTick(callback) }
  writeEarlyHints (_hints: unknown, callback?: () => void): void { if (callback !== undefined) process.nextTick(callback) }
  setTimeout (): this { return this }
  cork (): void {}
  uncork (): void {}

  /** A response is not readable: as Node, piping from it is an error (thrown when nobody listens for it). */
  pipe<W extends NodeJS.WritableStream> (_destination: W): W {
    const err = Object.assign(new Error('Cannot pipe, not readable'), { code: 'ERR_STREAM_CANNOT_PIPE' })
    if (this.listenerCount('error') === 0) throw err
    this.emit('error', err)
    return _destination
  }

  #settle (err: Error | undefined, output: DispatchOutput | undefined): void {
    if (this.#settled) return
    this.#settled = true
    this.#done(this.#token, err, output)
  }
}

// A legacy Stream (as ServerResponse is) by its prototype, without running the constructor, which only makes
// the listener table: EventEmitter makes it with the first listener, and an answer nobody listens to (no
// logger, no onResponse hook) is spared it.
Object.setPrototypeOf(VirtualOutgoing.prototype, Stream.prototype)
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a merged declaration repeats the class's parameters
export interface VirtualOutgoing<T> extends Stream {}

// writeHead's headers argument as [name, value] pairs (off the hot path): an object, a flat [name, value, ...]
// list or [[name, value], ...]; values of a name given more than once are gathered, as Node gathers them.
function headersOf (headers: Record<string, unknown> | unknown[] | undefined | null): Array<[string, unknown]> {
  if (headers === undefined || headers === null) return []
  if (!Array.isArray(headers)) return Object.keys(headers).map((name) => [name, headers[name]])
  const flat: unknown[] = headers.length > 0 && Array.isArray(headers[0]) ? (headers as unknown[][]).flatMap((e) => [e[0], e[1]]) : headers
  if (flat.length % 2 !== 0) throw headerListError(headers)
  const gathered = new Map<string, { name: string, values: string[] }>()
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    checkHeaderName(name)
    const entry = gathered.get(name.toLowerCase())
    if (entry === undefined) gathered.set(name.toLowerCase(), { name, values: [String(flat[i + 1])] })
    else entry.values.push(String(flat[i + 1]))
  }
  return [...gathered.values()].map(({ name, values }) => [name, values.length === 1 ? values[0] : values])
}
