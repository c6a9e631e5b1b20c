import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { io as ioClient, type Socket as ClientSocket, type ManagerOptions, type SocketOptions } from 'socket.io-client'
import type { AddressInfo } from 'node:net'
import fastifySockets, { type FastifySocketsOptions, type JWR } from '../../lib/index.js'

// The smallest surface a tap test needs; structural so helpers do not depend on tap's types.
export interface Teardown { teardown (fn: () => unknown): void }

/**
 * A Fastify app with the plugin, closed in teardown. `setup` adds routes before listen.
 * Listens on port 0 unless `listen: false`.
 */
export async function buildApp (t: Teardown, opts: FastifySocketsOptions = {}, setup?: (app: FastifyInstance) => void | Promise<void>,
  fastifyOpts: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(fastifyOpts)
  t.teardown(() => app.close())
  await app.register(fastifySockets, opts)
  if (setup !== undefined) await setup(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

export function urlOf (app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo
  return `http://127.0.0.1:${address.port}`
}

/** A real socket.io-client 4 connection over TCP, closed in teardown; resolves once connected. */
export async function connect (t: Teardown, app: FastifyInstance | string,
  opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<ClientSocket> {
  const socket = ioClient(typeof app === 'string' ? app : urlOf(app), { transports: ['websocket'], reconnection: false, forceNew: true, ...opts })
  t.teardown(() => { socket.close() })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return socket
}

/** Emits a sails.io.js-shaped request and resolves with the JWR (rejects after `timeout` ms without an ack). */
export async function request (socket: ClientSocket, method: string, url: string, data?: unknown,
  headers?: Record<string, string>, timeout = 5000): Promise<JWR> {
  return await socket.timeout(timeout).emitWithAck(method, { method, url, data, headers: headers ?? {} }) as JWR
}

/** Resolves with the next `event` payload, or rejects after `ms` (a failure bound, not a timing check). */
export function nextEvent<T = unknown> (socket: ClientSocket, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off(event, on); reject(new Error(`no '${event}' within ${ms} ms`)) }, ms)
    function on (payload: T): void { clearTimeout(timer); resolve(payload) }
    socket.once(event, on)
  })
}

/** Collects every `event` payload a socket receives from now on. */
export function collect<T = unknown> (socket: ClientSocket, event: string): T[] {
  const seen: T[] = []
  socket.on(event, (payload: T) => seen.push(payload))
  return seen
}

/** Polls `check` every 20 ms until it holds; rejects after `ms` naming `what`. */
export async function waitFor (check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

let flushMarks = 0
/**
 * socket.io keeps order per connection: once each socket hears this marker, everything sent to it before
 * has arrived. That lets a test assert "heard nothing" without sleeping.
 */
export async function flush (app: FastifyInstance, sockets: ClientSocket[]): Promise<void> {
  const mark = ++flushMarks
  const waits = sockets.map(async (socket) => {
    for (;;) if (await nextEvent<number>(socket, 'flush', 5000) === mark) return
  })
  app.sockets.blast('flush' as never, mark as never)
  await Promise.all(waits)
}

/** An app with the plugin and `GET /who` answering `{ server: name }`, on `port` (0: any); closed in teardown. */
export async function startWho (t: Teardown, port: number, name: string): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySockets)
  app.get('/who', async () => ({ server: name }))
  await app.listen({ port, host: '127.0.0.1' })
  return app
}
