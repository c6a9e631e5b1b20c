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
  /** JSON text of the body, if any. */
  payload: string | undefined
}

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
export class VirtualIncoming extends Readable {
  readonly method: string
  url: string
  readonly headers: Record<string, string>
  readonly socket: VirtualConnection
  readonly httpVersion = '1.1'
  readonly httpVersionMajor = 1
  readonly httpVersionMinor = 1
  readonly trailers: Record<string, string> = {}
  readonly rawTrailers: string[] = []
  /** A request, not a response: as on IncomingMessage, these are null. */
  readonly statusCode = null
  readonly statusMessage = null
  readonly upgrade = false
  readonly joinDuplicateHeaders = false
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
  get client (): VirtualConnection { return this.socket }

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

  override _read (): void {
    const body = this.#body
    this.#body = undefined
    if (body !== undefined) this.push(body)
    this.push(null)
  }

  setTimeout (): this { return this }
}
