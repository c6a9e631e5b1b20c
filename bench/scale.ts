import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Child } from './rpc.js'
import type { Kind, ServerHello } from './server.js'
import type { DeliveryResult, RunResult } from './load.js'
import { type Row, W } from './report.js'
import { inTurn, median, slope, summarize } from './stats.js'

// Many sockets on one node: raw socket.io, a second raw socket.io (the control) and fastify-sockets each hold
// `sockets` connected clients (spread over `loads` client processes, loopback, source ports picked by the
// kernel), all in one room. Measured side by side, steps and windows interleaved (their order reversed every
// other round): JS heap per socket (slope over the steps), CPU per broadcast
// delivery and the p99 delivery latency over every client process, then the CPU of a virtual request and of a
// join through a route, made by `reqSockets` more clients while the others stay connected.

export interface ScaleParams {
  scaleSockets: number
  scaleLoads: number
  scaleBroadcasts: number
  scaleRounds: number
  reqSockets: number
  warmupMs: number
  windowMs: number
  rounds: number
}
export interface ScaleContext {
  server: (kind: Kind) => Child<ServerHello>
  load: (name: string) => Child<{ pid: number }>
  stop: (...list: Array<Child<unknown>>) => Promise<void>
  cpu: (child: Child<unknown>) => Promise<number>
  /** CPU time of a child so far (µs), user and kernel apart, its collections so far (full ones apart), its minor page faults and context switches. */
  times: (child: Child<unknown>) => Promise<{ user: number, system: number, full: number, pauseMs: number, faults: number, switches: number }>
  row: (r: Row) => void
  /** With --prof: where a server's CPU profile of a workload's measured windows goes. */
  profileFile?: (workload: string, kind: Kind) => string
}

interface Mem { heapUsed: number, external: number }
const FD_HEADROOM = 1024

/** Open files allowed to processes the driver forks from now on; raised as far as the kernel lets us. */
export function raiseFdLimit (need: number): number {
  const want = Math.max(need + FD_HEADROOM, 65_536)
  try {
    // prlimit(1) on our own pid: children forked afterwards inherit it (Node lifts its soft limit to the hard one)
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${want}:${want}`], { stdio: 'ignore' })
  } catch { /* not root, or no prlimit: the limit read below decides */ }
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? ''
  const hard = Number(line.trim().split(/\s+/)[4])
  if (!(hard >= need + FD_HEADROOM)) throw new Error(`scale workload: ${need} sockets need an open-file limit above ${need + FD_HEADROOM}, and this one is ${String(hard)} (run as root or raise ulimit -n)`)
  return hard
}

export async function scale (ctx: ScaleContext, P: ScaleParams): Promise<void> {
  const kinds: Kind[] = ['raw', 'control', 'sockets']
  const limit = raiseFdLimit(P.scaleSockets + P.reqSockets)
  const perLoad = Math.ceil(P.scaleSockets / P.scaleLoads)
  console.log(`many sockets: ${P.scaleSockets} sockets in one room over ${P.scaleLoads} client processes per server (open-file limit ${limit}), ` +
    `${P.scaleRounds} x ${P.scaleBroadcasts} broadcasts one at a time, then ${P.reqSockets} more sockets making requests`)
  const setups = await Promise.all(kinds.map(async (kind) => {
    const srv = ctx.server(kind)
    const hello = await srv.ready
    const idle = Array.from({ length: P.scaleLoads }, (_, i) => ctx.load(`${kind} many sockets ${i + 1}`))
    const req = ctx.load(`${kind} many sockets requests`)
    await Promise.all([...idle, req].map((g) => g.ready))
    return { kind, srv, url: `http://127.0.0.1:${hello.port}`, idle, req, counts: [] as number[], points: [] as Array<[number, number]> }
  }))
  const all = setups.flatMap((s) => [s.srv, ...s.idle, s.req] as Array<Child<unknown>>)
  try {
    // the request sockets first: their handshakes and a first request warm the server before the first point
    for (const s of setups) {
      await s.req.call('connect', { url: s.url, n: P.reqSockets, parallel: 10, join: false })
      await s.req.call('roundtrip', { verb: 'get', url: '/hello', durationMs: P.warmupMs })
    }
    const heap = async (s: typeof setups[number]): Promise<number> => { const m = await s.srv.call<Mem>('mem'); return m.heapUsed + m.external }
    for (const s of setups) s.points.push([0, await heap(s)])
    // one step per client process, interleaved between the servers
    for (let step = 0; step < P.scaleLoads; step++) {
      for (const s of setups) {
        const n = Math.min(perLoad, P.scaleSockets - perLoad * step)
        s.counts.push(await (s.idle[step] as Child<unknown>).call<number>('connect', { url: s.url, n, parallel: 50, join: true }))
        s.points.push([s.counts.reduce((a, b) => a + b, 0), await heap(s)])
      }
    }
    for (const s of setups) {
      const inRoom = await s.srv.call<number>('roomSize')
      if (inRoom !== P.scaleSockets) throw new Error(`${s.kind}: ${inRoom} sockets in the room, expected ${P.scaleSockets}`)
      ctx.row({ workload: W.scaleHeap, kind: s.kind, value: slope(s.points) / 1024, unit: 'KB heap/socket' })
    }

    // broadcasts to every socket, one at a time: the next leaves once every client process has counted all of
    // the last one, so a client process that the shared machine slows down delays the run, not the next
    // broadcast (a backlog would pass for delivery latency). Latencies merged over the client processes.
    const acc = new Map<Kind, { cpu: number, count: number, ms: number, p50: number[], p99: number[] }>()
    for (let round = -1; round < P.scaleRounds; round++) { // round -1 warms up
      for (const s of inTurn(setups, round)) {
        const count = round < 0 ? Math.max(1, Math.ceil(P.scaleBroadcasts / 5)) : P.scaleBroadcasts
        const latencies: number[] = []
        let delivered = 0
        let ms = 0
        const before = await ctx.cpu(s.srv)
        for (let b = 0; b < count; b++) {
          await Promise.all(s.idle.map((g, i) => g.call('arm', { expected: s.counts[i] as number, timeoutMs: 120_000, samples: true })))
          await s.srv.call('broadcast', { count: 1, everyMs: 0, text: 'hello from the bench' })
          const results = await Promise.all(s.idle.map((g) => g.call<DeliveryResult>('delivered')))
          for (const r of results) { delivered += r.count; for (const l of r.latencies ?? []) latencies.push(l) }
          ms += Math.max(...results.map((r) => r.last)) - Math.min(...results.map((r) => r.first))
        }
        const after = await ctx.cpu(s.srv)
        if (round < 0) continue
        const latency = summarize(latencies)
        const a = acc.get(s.kind) ?? { cpu: 0, count: 0, ms: 0, p50: [], p99: [] }
        acc.set(s.kind, a)
        a.cpu += after - before
        a.count += delivered
        a.ms += ms
        a.p50.push(latency.p50); a.p99.push(latency.p99)
      }
    }
    for (const [kind, a] of acc) {
      const p50 = median(a.p50)
      const p99 = median(a.p99)
      ctx.row({ workload: W.scaleBroadcast, kind, value: a.cpu / a.count, unit: 'µs CPU/delivery', throughput: a.count / (a.ms / 1000), p50, p99 })
      ctx.row({ workload: W.scaleLatency, kind, value: p99, unit: 'ms p99 delivery' })
    }

    // requests while the others stay connected: `GET /hello`, then `GET /side/<fresh>` (a join of a new room)
    const workloads = [
      { name: W.scaleRequest, url: '/hello', fresh: false },
      { name: W.scaleJoin, url: '/side', fresh: true }
    ]
    for (const w of workloads) {
      const totals = new Map<Kind, { cpu: number, sys: number, full: number, pauseMs: number, faults: number, switches: number, count: number, ms: number, p50: number[], p99: number[] }>()
      for (const s of setups) {
        await s.req.call<RunResult>('roundtrip', { verb: 'get', url: w.url, fresh: w.fresh, durationMs: P.warmupMs })
        await s.srv.call('leaveSide')
        totals.set(s.kind, { cpu: 0, sys: 0, full: 0, pauseMs: 0, faults: 0, switches: 0, count: 0, ms: 0, p50: [], p99: [] })
      }
      if (ctx.profileFile !== undefined) for (const s of setups) await s.srv.call('profileStart')
      for (let round = 0; round < P.rounds; round++) {
        for (const s of inTurn(setups, round)) {
          const before = await ctx.times(s.srv)
          const r = await s.req.call<RunResult>('roundtrip', { verb: 'get', url: w.url, fresh: w.fresh, durationMs: P.windowMs })
          const after = await ctx.times(s.srv)
          await s.srv.call('leaveSide') // outside the window: the rooms joined in it are left again
          const t = totals.get(s.kind)!
          t.cpu += after.user + after.system - before.user - before.system; t.sys += after.system - before.system; t.full += after.full - before.full; t.pauseMs += after.pauseMs - before.pauseMs; t.faults += after.faults - before.faults; t.switches += after.switches - before.switches; t.count += r.count; t.ms += r.elapsedMs; t.p50.push(r.latency.p50); t.p99.push(r.latency.p99)
        }
      }
      if (ctx.profileFile !== undefined) {
        for (const s of setups) console.log(`  profile: ${await s.srv.call<string>('profileStop', { file: ctx.profileFile(w.name, s.kind) })}`)
      }
      for (const [kind, t] of totals) {
        console.log(`  ${w.name} · ${kind}: ${(t.sys / t.count).toFixed(1)} µs of it in the kernel; ${t.full} full collection${t.full === 1 ? '' : 's'} in the windows, GC pauses ${(1000 * t.pauseMs / t.count).toFixed(2)} µs, ${(t.faults / t.count).toFixed(3)} page faults and ${(t.switches / t.count).toFixed(3)} context switches a request`)
        ctx.row({ workload: w.name, kind, value: t.cpu / t.count, unit: 'µs CPU/request', throughput: t.count / (t.ms / 1000), p50: median(t.p50), p99: median(t.p99) })
      }
    }
    for (const s of setups) {
      const clients = await s.srv.call<number>('clients')
      if (clients !== P.scaleSockets + P.reqSockets) throw new Error(`${s.kind}: ${clients} clients at the end, expected ${P.scaleSockets + P.reqSockets}`)
    }
  } finally {
    await ctx.stop(...all)
  }
}
