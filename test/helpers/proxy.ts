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

  close (): void {
    this.#server.close()
    for (const socket of this.#sockets) socket.destroy()
  }

  #pair (client: Socket, targetPort: number): void {
    const upstream = netConnect(targetPort, '127.0.0.1')
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.#sockets.add(from)
      from.on('data', (chunk: Buffer) => {
        const deliver = (): void => { if (!to.destroyed) to.write(chunk) }
        if (this.#frozen) this.#held.push(deliver)
        else deliver()
      })
      from.on('error', () => {})
      from.on('close', () => { this.#sockets.delete(from); to.destroy() })
    }
  }
}
