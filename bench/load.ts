import { io as connectClient, type Socket } from 'socket.io-client'
import { serve } from './rpc.js'
import { EVENT, now, type Tick } from './shapes.js'
import { summarize, type Summary } from './stats.js'

// The load process: real socket.io-client 4 sockets over TCP (websocket transport), driven by the
// driver over IPC. Its own CPU may saturate; the figures that count are the server's CPU time.

interface Jwr { statusCode: number, body: unknown }

const sockets: Socket[] = []
let sent = 0 // requests with a fresh url so far, in this process

async function open (url: string, query: Record<string, string> | undefined): Promise<Socket> {
  const socket = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 30_000, ...(query === undefined ? {} : { query }) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(new Error(`connect to ${url} failed: ${err.message}`)))
  })
  return socket
}

async function ask (socket: Socket, verb: string, url: string, data: unknown): Promise<Jwr> {
  return await socket.timeout(30_000).emitWithAck(verb, { method: verb, url, headers: {}, data }) as Jwr
}

export interface RunResult { count: number, elapsedMs: number, latency: Summary }
export interface DeliveryResult { count: number, elapsedMs: number, latency: Summary, first: number, last: number, latencies?: number[] }

let deliveries: { expected: number, count: number, first: number, last: number, latencies: number[], done: () => void, timer?: NodeJS.Timeout } | undefined
let delivered: Promise<DeliveryResult> | undefined

function onTick (tick: Tick): void {
  const d = deliveries
  if (d === undefined) return
  const t = now()
  if (d.count === 0) d.first = t
  d.count++
  d.last = t
  d.latencies.push(t - tick.t)
  if (d.count === d.expected) d.done()
}

serve({
  /**
   * Opens `n` sockets to `url`, `parallel` handshakes at a time; `join` asks each to join the bench room.
   * `query` goes with the handshake (the Sails server gets the SDK metadata sails.io.js sends).
   */
  connect: async ({ url, n, parallel, join, query }: { url: string, n: number, parallel: number, join: boolean, query?: Record<string, string> }) => {
    let started = 0
    async function worker (): Promise<void> {
      while (started < n) {
        started++
        const socket = await open(url, query)
        sockets.push(socket)
        socket.on(EVENT, onTick)
        if (join) {
          const jwr = await ask(socket, 'get', '/join', undefined)
          if (jwr.statusCode !== 200) throw new Error(`join answered ${jwr.statusCode}: ${JSON.stringify(jwr.body)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker))
    return sockets.length
  },

  /**
   * Every socket makes sequential requests until `durationMs` has passed; in-flight ones are awaited. With
   * `fresh`, each request's url gets a segment never sent before (`/side/<socket>.<n>`: a room to join).
   * `first` sockets only, when given (the others stay connected and idle). `each`, when given: every socket makes
   * exactly that many requests instead (a window of a known count, for instruction counts).
   */
  roundtrip: async ({ verb, url, data, durationMs, fresh, first, each }: { verb: string, url: string, data: unknown, durationMs: number, fresh?: boolean, first?: number, each?: number }): Promise<RunResult> => {
    const latencies: number[] = []
    const start = performance.now()
    const deadline = start + durationMs
    let failure: string | undefined
    await Promise.all(sockets.slice(0, first).map(async (socket, i) => {
      for (let n = 0; (each === undefined ? performance.now() < deadline : n < each) && failure === undefined; n++) {
        const t0 = performance.now()
        const jwr = await ask(socket, verb, fresh === true ? `${url}/${i}.${++sent}` : url, data)
        latencies.push(performance.now() - t0)
        if (jwr.statusCode !== 200) failure = `${verb} ${url} answered ${jwr.statusCode}: ${JSON.stringify(jwr.body)}`
      }
    }))
    if (failure !== undefined) throw new Error(failure)
    return { count: latencies.length, elapsedMs: performance.now() - start, latency: summarize(latencies) }
  },

  /** Starts counting broadcast deliveries on every socket; `delivered` then waits for `expected` of them. */
  arm: ({ expected, timeoutMs, samples }: { expected: number, timeoutMs: number, samples?: boolean }) => {
    delivered = new Promise<DeliveryResult>((resolve, reject) => {
      const d = {
        expected,
        count: 0,
        first: 0,
        last: 0,
        latencies: [] as number[],
        done: () => {
          clearTimeout(d.timer)
          deliveries = undefined
          // `samples`: the latencies themselves too, for a driver that merges several load processes
          resolve({ count: d.count, elapsedMs: d.last - d.first, latency: summarize(d.latencies), first: d.first, last: d.last, ...(samples === true ? { latencies: d.latencies } : {}) })
        },
        timer: undefined as NodeJS.Timeout | undefined
      }
      d.timer = setTimeout(() => {
        deliveries = undefined
        reject(new Error(`only ${d.count} of ${expected} deliveries within ${timeoutMs} ms`))
      }, timeoutMs)
      deliveries = d
    })
    delivered.catch(() => {})
    return expected
  },
  delivered: async () => {
    if (delivered === undefined) throw new Error('delivered before arm')
    return await delivered
  },

  disconnect: async () => {
    for (const socket of sockets.splice(0)) socket.close()
    return 0
  }
}, { pid: process.pid })
