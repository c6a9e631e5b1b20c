import { EventEmitter } from 'node:events'
import { Readable } from 'node:stream'
import { kSocketContext } from '../symbols.js'

// The request side of the virtual HTTP pair: what Fastify reads of an IncomingMessage and its socket.

/** A virtual request, as the plugin built it from a checked envelope. */
export interface DispatchInput {
  method: string
  url: string
  /** Lower-case names, in a plain object built for this one request: the request takes it over. */
  headers: Record<string, string>
  /** JSON text of the body, if any; undefined also while `bytes` stands for it. */
  payload: string | undefined
  /** The value the body is the JSON text of, when the caller has it already parsed. */
  parsed?: unknown
  /** With `parsed` and no `payload`: the UTF-8 byte length of `JSON.stringify(parsed)`, made when the body is read. */
  bytes?: number | undefined
}

/**
 * The connection of a virtual request as Fastify sees it (`request.socket`): the socket.io client's
 * address and whether its handshake came over TLS. One per socket.io socket, shared by its requests
 * the way an HTTP keep-alive connection is.
 */
export class VirtualConnection {
  readonly remoteAddress: string
  readonly encrypted: boolean
  // Fastify's onTimeout bookkeeping lives here on a net.Socket; absent until a route with onTimeout runs
  declare _meta: unknown

  constructor (remoteAddress: string, encrypted: boolean) {
    this.remoteAddress = remoteAddress
    this.encrypted = encrypted
  }

  get remoteFamily (): string { return this.remoteAddress.includes(':') ? 'IPv6' : 'IPv4' }
  get destroyed (): boolean { return false }
  setTimeout (): this { return this }
  setNoDelay (): this { return this }
  setKeepAlive (): this { return this }
  ref (): this { return this }
  unref (): this { return this }
  destroy (): this { return this }
}
// An EventEmitter by its prototype, without running EventEmitter's constructor: the emitter makes its
// listener table when the first listener comes (Fastify adds one for a route's onTimeout), so the connection
// of a socket nobody listens to costs two fields (~65 bytes where an initialised EventEmitter cost ~300).
Object.setPrototypeOf(VirtualConnection.prototype, EventEmitter.prototype)
export interface VirtualConnection extends EventEmitter {}

// Node's own: the stream state a Readable's constructor makes, made here when the stream is first used
const ReadableState = (Readable as unknown as { ReadableState: new (options: object, stream: object, isDuplex: boolean) => object }).ReadableState
const STATE_OPTIONS = Object.freeze({ autoDestroy: false })

/** The raw request: a readable stream of the JSON body, carrying the socket context under its symbol. */
export class VirtualIncoming {
  readonly method: string
  url: string
  readonly headers: Record<string, string>
  readonly socket: VirtualConnection
  declare readonly httpVersion: '1.1'
  declare readonly httpVersionMajor: 1
  declare readonly httpVersionMinor: 1
  readonly trailers: Record<string, string> = {}
  readonly rawTrailers: string[] = []
  /** A request, not a response: as on IncomingMessage, these are null. */
  declare readonly statusCode: null
  declare readonly statusMessage: null
  declare readonly upgrade: false
  declare readonly joinDuplicateHeaders: false
  aborted = false
  complete = true
  readonly [kSocketContext]: unknown
  // the Readable's state, made on first use: a GET that nobody reads as a stream never makes it
  #state: object | undefined
  // the body until it is read (as bytes) or handed over parsed: its JSON text, or the value it is made from
  #unread = false
  #body: string | undefined
  #parsed: unknown

  constructor (context: unknown, connection: VirtualConnection, input: DispatchInput) {
    this[kSocketContext] = context
    this.method = input.method
    this.url = input.url
    this.socket = connection
    const headers = input.headers
    if (input.payload !== undefined) {
      this.#unread = true
      this.#body = input.payload
      this.#parsed = input.parsed
      headers['content-length'] = String(Buffer.byteLength(input.payload))
    } else if (input.bytes !== undefined) {
      this.#unread = true
      this.#parsed = input.parsed
      headers['content-length'] = String(input.bytes)
    }
    this.headers = headers
  }

  get connection (): VirtualConnection { return this.socket }
  get client (): VirtualConnection { return this.socket }

  // What every Readable method reads first; made as Readable's constructor makes it, with autoDestroy off
  get _readableState (): object { return (this.#state ??= new ReadableState(STATE_OPTIONS, this, false)) }
  set _readableState (state: object) { this.#state = state }

  /** Every header as a list of its values (a virtual request gives each name once). */
  get headersDistinct (): Record<string, string[]> {
    const distinct: Record<string, string[]> = Object.create(null)
    for (const name of Object.keys(this.headers)) distinct[name] = [this.headers[name] as string]
    return distinct
  }

  get trailersDistinct (): Record<string, string[]> { return Object.create(null) }

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

  /**
   * Whether the body can still be handed over parsed: it has a parsed value and nobody read the stream.
   * (json-handoff.ts; the value is JSON data, so `undefined` means none.)
   */
  get hasParsedBody (): boolean { return this.#unread && this.#parsed !== undefined }

  /** The body, parsed; the stream then ends empty, as an HTTP request's does once Fastify parsed its body. */
  takeParsedBody (): unknown {
    const parsed = this.#parsed
    this.#unread = false
    this.#body = undefined
    this.#parsed = undefined
    return parsed
  }

  _read (): void {
    if (this.#unread) this.push(Buffer.from(this.#body ?? JSON.stringify(this.#parsed), 'utf8'))
    this.#unread = false
    this.#body = undefined
    this.#parsed = undefined
    this.push(null)
  }

  setTimeout (): this { return this }
}

// A Readable by its prototype, without running Readable's constructor (as VirtualOutgoing is a Stream): the
// constructor makes the stream's state, about forty fields, which a request nobody reads as a stream (a GET,
// a body handed over parsed) never uses; the state is made on first use instead (the getter above), and the
// listener table with the first listener, as EventEmitter makes it.
Object.setPrototypeOf(VirtualIncoming.prototype, Readable.prototype)
// the same for every request: on the prototype, not copied onto each one
Object.assign(VirtualIncoming.prototype, {
  httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1, statusCode: null, statusMessage: null, upgrade: false, joinDuplicateHeaders: false
})
export interface VirtualIncoming extends Readable {}
