import type { EventName, EventPayload } from '../rooms/declarations.js'
import type { JWR } from './jwr.js'
import type { ResolvedClientOptions } from './options.js'
import type { SocketClientError } from './errors.js'

// The public types of the client socket.

/** Server -> client events from the server's registry (`SocketEvents`); `string` -> `unknown` when nothing is declared. */
export type ServerEvents = { [E in EventName]: EventPayload<E> }

/** Connection events of the client itself; these names never reach server listeners. */
export interface LifecycleEvents {
  /** Connected, the first time and after every reconnection. */
  connect: () => void
  /** Connection lost or closed; `reason` is socket.io's (`'io server disconnect'`, `'transport close'`, ...). */
  disconnect: (reason: string) => void
  /** A connection attempt failed. */
  connect_error: (err: Error) => void
  /** A reconnection attempt starts. */
  reconnecting: (attempt: number) => void
  /** Reconnected after `attempt` attempts (`connect` follows). */
  reconnect: (attempt: number) => void
  /** Reconnection gave up (`reconnectionAttempts` exhausted). */
  reconnect_failed: () => void
}

/** A request of `socket.request()`, as in sails.io.js. */
export interface RequestOptions {
  /** One of get post put patch delete head options (any case). @default 'get' */
  method?: string
  /** A path on the server, e.g. `/user/1?x=1`. */
  url: string
  /** Body (post/put/patch/delete) or query parameters (get/head). */
  data?: unknown
  /** sails.io.js alias of `data`; give one or the other. */
  params?: unknown
  /** Headers of this request; they win over the socket's default headers. */
  headers?: Record<string, string>
}

/**
 * The sails.io.js callback: `(body, jwr)`. When the server never answered (statusCode 0), `body` is the
 * error, as in sails.io.js, and `jwr` is `{ body: null, statusCode: 0, headers: {}, error }`.
 */
export type RequestCallback<Body = unknown> = (body: Body | SocketClientError, jwr: JWR<Body | null>) => void

/** What a socket connects to; read when it first connects (the browser's `io.socket` is configured after creation). */
export type ConnectTarget = () => { url: string, options: ResolvedClientOptions }

/**
 * A request method of the socket (`get`, `post`, `put`, `patch`, `delete`), in the sails.io.js forms:
 * `(url, cb)`, `(url, data, cb)` with the `(body, jwr)` callback, or `(url, data?)` for a Promise of the JWR.
 */
export interface VerbMethod {
  <Body = unknown> (url: string, cb: RequestCallback<Body>): void
  <Body = unknown> (url: string, data: unknown, cb: RequestCallback<Body>): void
  <Body = unknown> (url: string, data?: unknown): Promise<JWR<Body>>
}
