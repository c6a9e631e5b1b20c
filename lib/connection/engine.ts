import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Server } from 'socket.io'

// Every Engine.IO internal the plugin relies on, typed here and read nowhere else, so that an Engine.IO
// upgrade has one file to re-check (test/internals/engine.test.ts fails when one of them changes).
// Verified against engine.io 6.6 (socket.io 4.8).

/** An Engine.IO transport, as far as the plugin uses it. */
export interface EngineTransport {
  readonly name: string
  readonly readyState: string
  /** Set while a polling transport waits for its client's next poll to deliver the close packet. */
  shouldClose?: () => void
}

/** An Engine.IO connection (one per client; socket.io's sockets ride on it). */
export interface EngineConnection {
  /** The session id (for Engine.IO 3 clients, also the socket id). */
  readonly id: string
  /** Engine.IO protocol revision of the client: 3 (socket.io-client 2, sails.io.js) or 4. */
  readonly protocol: number
  readonly remoteAddress: string
  readonly readyState: string
  /** Packets queued for the client and not yet written to its transport. */
  readonly writeBuffer: readonly unknown[]
  readonly transport: EngineTransport | undefined
}

/** A packet as Engine.IO queues it (its `packetCreate` event): `data` is what socket.io encoded. */
export interface EnginePacket {
  readonly type: string
  readonly data?: unknown
}

/** The events of a connection the slow-consumer bound listens to (public Engine.IO events). */
export interface EngineConnectionEvents {
  /** A packet is about to join `writeBuffer`. */
  on (event: 'packetCreate', fn: (packet: EnginePacket) => void): unknown
  /** `writeBuffer` is handed to the transport (and emptied). */
  on (event: 'flush' | 'close', fn: () => void): unknown
}

// What the slow-consumer bound reads of a transport, typed only here.
interface InternalTransport extends EngineTransport {
  /** Set: close without waiting for the client's next poll. */
  discard (): void
  /** Polling: the response of the poll waiting to carry the next packets. */
  res?: ServerResponse | null
  /** Websocket: the `ws` socket. */
  socket?: { readonly bufferedAmount: number, terminate (): void }
}

interface InternalConnection extends EngineConnection {
  readonly transport: InternalTransport | undefined
  onClose (reason: string): void
}

/** An HTTP request as Engine.IO hands it to its middlewares: the query string already parsed. */
export type EngineRequest = IncomingMessage & { _query?: Record<string, string | undefined> }

/** An Engine.IO middleware: runs for every Engine.IO HTTP request and upgrade, before Engine.IO itself. */
export type EngineMiddleware = (req: EngineRequest, res: ServerResponse, next: (err?: Error) => void) => void

interface EngineServer {
  readonly clients: Record<string, EngineConnection>
  use (fn: EngineMiddleware): void
  on (event: 'connection', fn: (conn: EngineConnection & EngineConnectionEvents) => void): void
}

function engineOf (io: Server): EngineServer {
  return io.engine as unknown as EngineServer
}

/** The parsed query of an Engine.IO request (`sid`, `transport`, `EIO`, `j`, ...). */
export function queryOf (req: IncomingMessage): Record<string, string | undefined> | undefined {
  return (req as EngineRequest)._query
}

/** The open Engine.IO connection with this session id, if any. */
export function connectionById (io: Server, sid: string): EngineConnection | undefined {
  const clients = engineOf(io).clients
  return Object.hasOwn(clients, sid) ? clients[sid] : undefined
}

/** Every Engine.IO connection that is not closed yet. */
export function openConnections (io: Server): EngineConnection[] {
  return Object.values(engineOf(io).clients ?? {}).filter((conn) => conn.readyState !== 'closed')
}

/** Adds an Engine.IO middleware (runs for handshakes and for requests of existing sessions alike). */
export function useEngineMiddleware (io: Server, fn: EngineMiddleware): void {
  engineOf(io).use(fn)
}

/**
 * Answers an Engine.IO request from a middleware, with `status` and a JSON body, and ends it: nothing of it
 * reaches Engine.IO. For an upgrade, Engine.IO hands middlewares a stand-in response (`WebSocketResponse`,
 * without `headersSent`) whose `end()` only destroys the socket, so the answer is written to the socket itself.
 */
export function answerEngineRequest (req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body)
  if ('headersSent' in res) {
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), connection: 'close' })
    res.end(json)
    return
  }
  const socket = req.socket
  socket.on('error', () => {}) // the client may be gone already
  if (!socket.writable) { socket.destroy(); return }
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`, () => { socket.destroy() })
}

/** Calls `fn` for every new Engine.IO connection (before socket.io sees it). */
export function onEngineConnection (io: Server, fn: (conn: EngineConnection & EngineConnectionEvents) => void): void {
  engineOf(io).on('connection', fn)
}

/** The response of the poll about to carry a polling connection's packets (read at its `flush`). */
export function pendingPollResponse (conn: EngineConnection): ServerResponse | undefined {
  const transport = (conn as InternalConnection).transport
  return transport?.name === 'polling' ? transport.res ?? undefined : undefined
}

/** Bytes a websocket connection's socket still buffers (sent by Engine.IO, not yet taken by the network). */
export function websocketBufferedBytes (conn: EngineConnection): number {
  const transport = (conn as InternalConnection).transport
  return transport?.name === 'websocket' ? transport.socket?.bufferedAmount ?? 0 : 0
}

/**
 * Ends a connection at once with `reason` (what socket.io's `disconnect` listeners get), dropping what it
 * still holds: Engine.IO's own close would wait for a client that does not read, and `ws` keeps a socket's
 * buffered bytes through its 30 s close handshake.
 */
export function dropConnection (conn: EngineConnection, reason: string): void {
  const internal = conn as InternalConnection
  const transport = internal.transport
  transport?.discard()
  internal.onClose(reason)
  if (transport?.name === 'websocket') transport.socket?.terminate()
}
