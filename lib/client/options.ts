import type { ManagerOptions, SocketOptions } from 'socket.io-client'
import { SocketClientError } from './errors.js'

/**
 * Options of `connect(url, options)`.
 *
 * @example
 * ```ts
 * const socket = connect('http://127.0.0.1:3000', {
 *   headers: { authorization: `Bearer ${token}` },   // sent with every request
 *   initialConnectionHeaders: { cookie: 'sid=...' }  // Node only: handshake headers
 * })
 * ```
 */
export interface ClientOptions {
  /** Headers added to every request of this socket; a request's own headers win. @default {} */
  headers?: Record<string, string>
  /**
   * Headers of the handshake (Node only; browsers cannot set websocket handshake headers). The server
   * starts every virtual request of the socket from them (cookie, authorization, ...).
   */
  initialConnectionHeaders?: Record<string, string>
  /** Reconnect after losing the connection; requests made meanwhile are queued. @default true */
  reconnection?: boolean
  /** @default Infinity */
  reconnectionAttempts?: number
  /** @default 1000 */
  reconnectionDelay?: number
  /** @default 5000 */
  reconnectionDelayMax?: number
  /** Deadline of one connection attempt, in ms. @default 20000 */
  timeout?: number
  /**
   * Client-side deadline of one request in ms, counted from the call (queueing included); past it the
   * request rejects with FST_SOCKETS_CLIENT_TIMEOUT (statusCode 0). @default undefined (the server's own
   * deadline applies once the request is sent)
   */
  requestTimeout?: number
  /** socket.io path on the server. @default '/socket.io' */
  path?: string
  /** @default ['websocket'] (as sails.io.js; polling needs sticky sessions behind a load balancer) */
  transports?: Array<'websocket' | 'polling' | 'webtransport'>
  /** Query parameters of the handshake. @default {} */
  query?: Record<string, string>
  /** Anything else for socket.io-client's `io(url, options)`; the options above take precedence. */
  socketio?: Partial<ManagerOptions & SocketOptions>
}

export interface ResolvedClientOptions {
  readonly headers: Record<string, string>
  readonly requestTimeout: number | undefined
  readonly reconnection: boolean
  readonly io: Partial<ManagerOptions & SocketOptions>
}

const KNOWN = new Set<string>(['headers', 'initialConnectionHeaders', 'reconnection', 'reconnectionAttempts', 'reconnectionDelay',
  'reconnectionDelayMax', 'timeout', 'requestTimeout', 'path', 'transports', 'query', 'socketio'])

function invalid (reason: string): SocketClientError {
  return new SocketClientError('FST_SOCKETS_CLIENT_OPTIONS_INVALID', reason)
}

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Checks a header map: a plain object of string values. Returns a copy. */
export function checkStrings (value: unknown, what: string, lowerCaseKeys = true): Record<string, string> {
  if (!isPlainObject(value)) throw invalid(`${what} must be an object of strings`)
  const out: Record<string, string> = {}
  for (const name of Object.keys(value)) {
    const v = value[name]
    if (typeof v !== 'string') throw invalid(`${what}['${name}'] must be a string`)
    out[lowerCaseKeys ? name.toLowerCase() : name] = v
  }
  return out
}

function positiveInt (value: unknown, name: string, allowInfinity = false): number | undefined {
  if (value === undefined) return undefined
  if (allowInfinity && value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 2 ** 31 - 1) {
    throw invalid(`${name} must be a positive integer${allowInfinity ? ' or Infinity' : ''}`)
  }
  return value
}

/** Validates the options up front; nothing is silently replaced by a default. */
export function resolveClientOptions (input: unknown): ResolvedClientOptions {
  const opts = input ?? {}
  if (!isPlainObject(opts)) throw invalid('options must be an object')
  for (const key of Object.keys(opts)) if (!KNOWN.has(key)) throw invalid(`unknown option '${key}'`)

  const headers = opts.headers === undefined ? {} : checkStrings(opts.headers, 'headers')
  const connectionHeaders = opts.initialConnectionHeaders === undefined
    ? undefined
    : checkStrings(opts.initialConnectionHeaders, 'initialConnectionHeaders')
  if (opts.reconnection !== undefined && typeof opts.reconnection !== 'boolean') throw invalid('reconnection must be a boolean')
  const reconnection = (opts.reconnection as boolean | undefined) ?? true
  const reconnectionAttempts = positiveInt(opts.reconnectionAttempts, 'reconnectionAttempts', true)
  const reconnectionDelay = positiveInt(opts.reconnectionDelay, 'reconnectionDelay')
  const reconnectionDelayMax = positiveInt(opts.reconnectionDelayMax, 'reconnectionDelayMax')
  const timeout = positiveInt(opts.timeout, 'timeout')
  const requestTimeout = positiveInt(opts.requestTimeout, 'requestTimeout')
  if (opts.path !== undefined && (typeof opts.path !== 'string' || !opts.path.startsWith('/'))) throw invalid('path must start with /')
  let transports: string[] = ['websocket']
  if (opts.transports !== undefined) {
    if (!Array.isArray(opts.transports) || opts.transports.length === 0 ||
      !opts.transports.every((t) => t === 'websocket' || t === 'polling' || t === 'webtransport')) {
      throw invalid("transports must be a non-empty array of 'websocket', 'polling', 'webtransport'")
    }
    transports = opts.transports as string[]
  }
  // The sails.io.js handshake parameters: a Sails server refuses requests from a client without them
  // (it takes a missing version for 0.9.0). The SDK speaks the 1.2.1 protocol; the user's query wins.
  const query = {
    __sails_io_sdk_version: '1.2.1',
    __sails_io_sdk_platform: typeof window === 'undefined' ? 'node' : 'browser',
    __sails_io_sdk_language: 'javascript',
    ...(opts.query === undefined ? {} : checkStrings(opts.query, 'query', false))
  }
  if (opts.socketio !== undefined && !isPlainObject(opts.socketio)) throw invalid('socketio must be an object of socket.io-client options')

  const io: Partial<ManagerOptions & SocketOptions> = {
    ...(opts.socketio as Partial<ManagerOptions & SocketOptions> | undefined),
    transports,
    query,
    reconnection,
    // Each SDK socket owns its manager: connect() twice to one server gives two connections, as sails.io.js does.
    forceNew: true,
    autoConnect: false
  }
  if (opts.path !== undefined) io.path = opts.path as string
  if (reconnectionAttempts !== undefined) io.reconnectionAttempts = reconnectionAttempts
  if (reconnectionDelay !== undefined) io.reconnectionDelay = reconnectionDelay
  if (reconnectionDelayMax !== undefined) io.reconnectionDelayMax = reconnectionDelayMax
  if (timeout !== undefined) io.timeout = timeout
  if (connectionHeaders !== undefined) io.extraHeaders = connectionHeaders

  return Object.freeze({ headers, requestTimeout, reconnection, io })
}
