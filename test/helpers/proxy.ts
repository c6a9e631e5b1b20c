import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import type { Teardown } from './app.js'

/**
 * A TCP proxy in front of a local port that can be frozen: connections stay up, but nothing gets through
 * in either direction until `thaw()` (a partition that keeps TCP up, for one client only). What was sent
 * meanwhile is delivered, in order, on thaw.
 */
export class FreezableProxy {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #held: Array<() => void> = []
  #frozen = false
  #swallowed: 'requests' | 'replies' | undefined
  #dropped = 0

  private constructor (server: Server) {
    this.#server = server
  }

  /** Listens on a free port, forwarding to `targetPort`; closed in teardown. */
  static async start (t: Teardown, targetPort: number): Promise<FreezableProxy> {
    const server = createServer()
    const proxy = new FreezableProxy(server)
    server.on('connection', (client) => { proxy.#pair(client, targetPort) })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => proxy.close())
    return proxy
  }

  get port (): number {
    const address = this.#server.address()
    return typeof address === 'object' && address !== null ? address.port : 0
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  freeze (): void {
    this.#frozen = true
  }

  thaw (): void {
    this.#frozen = false
    for (const deliver of this.#held.splice(0)) deliver()
  }

  /**
   * Drops (never delivers) what goes one way from now on: `'requests'` (to Redis: a command lost before Redis
   * read it) or `'replies'` (from Redis: a command Redis ran whose answer is lost); undefined: none.
   */
  swallow (direction: 'requests' | 'replies' | undefined): void {
    this.#swallowed = direction
  }

  /** Chunks swallowed so far. */
  get swallowed (): number {
    return this.#dropped
  }

  /** Ends the connections made so far (as a network failure would); new ones are proxied as before. */
  cut (): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  close (): void {
    this.#server.close()
    for (const socket of this.#sockets) socket.destroy()
  }

  #pair (client: Socket, targetPort: number): void {
    const upstream = netConnect(targetPort, '127.0.0.1')
    for (const [from, to, direction] of [[client, upstream, 'requests'], [upstream, client, 'replies']] as const) {
      this.#sockets.add(from)
      from.on('data', (chunk: Buffer) => {
        if (this.#swallowed === direction) { this.#dropped++; return }
        const deliver = (): void => { if (!to.destroyed) to.write(chunk) }
        if (this.#frozen) this.#held.push(deliver)
        else deliver()
      })
      from.on('error', () => {})
      from.on('close', () => { this.#sockets.delete(from); to.destroy() })
    }
  }
}
