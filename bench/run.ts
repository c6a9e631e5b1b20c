import { Child } from './rpc.js'
import { hasRedis, startRedis, type RedisServer } from './redis.js'
import { postBody } from './shapes.js'
import { ensureSails, SAILS_QUERY, type SailsState } from './sails.js'
import { scale } from './scale.js'
import type { Kind, ServerHello } from './server.js'
import type { RunResult, DeliveryResult } from './load.js'
import { type Results, type Row, W, printTables, writeReport, machine } from './report.js'
import { inTurn, median, slope, sum } from './stats.js'

// `npm run bench` (full, writes the table and chart of docs/benchmarks.md) or `npm run bench -- --smoke` (tiny counts, asserts
// nothing about speed, exits non-zero only on errors). Each server runs in its own process, each load
// generator in another; CPU figures are the server's own `process.cpuUsage()` around each measured window.
// Servers of one workload run side by side and their windows are interleaved round by round (the order
// reversed every other round, so a drift of the machine's speed lands on all of them alike): the ratios are what
// count. Where a budget applies, a second raw socket.io process (`control`) runs too: its ratio to the first is
// how far apart two processes of identical code land in this run, the yardstick for reading the others.

const smoke = process.argv.includes('--smoke')
const writeToReadme = !smoke && !process.argv.includes('--no-readme')
// Sails 1.5 joins the request workloads when bench/.sails holds it; a full run installs it there first
const noSails = process.argv.includes('--no-sails')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',')
const want = (name: string): boolean => only === undefined || only.includes(name)

const P = smoke
  ? { reqSockets: 5, warmupMs: 200, windowMs: 300, rounds: 1, fanSockets: 20, broadcasts: 10, everyMs: 5, fanRounds: 1, memSockets: 50, clusterSockets: 20, cluster3Sockets: 30, scaleSockets: 200, scaleLoads: 2, scaleBroadcasts: 3, scaleRounds: 1 }
  : { reqSockets: 50, warmupMs: 1500, windowMs: 1200, rounds: 5, fanSockets: 500, broadcasts: 100, everyMs: 40, fanRounds: 4, memSockets: 2000, clusterSockets: 500, cluster3Sockets: 600, scaleSockets: 10_000, scaleLoads: 4, scaleBroadcasts: 10, scaleRounds: 3 }

const children = new Set<Child<unknown>>()
let redis: RedisServer | undefined

// --prof: every server of the request workloads (those of the many-sockets workload too) writes a V8 CPU profile of its measured windows into
// bench/profiles/ (git-ignored; open them in Chrome DevTools)
const prof = process.argv.includes('--prof')
const profileFile = (workload: string, kind: Kind): string =>
  new URL(`./profiles/${workload.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${kind}.cpuprofile`, import.meta.url).pathname

function server (kind: Kind, extra: string[] = [], node: string[] = []): Child<ServerHello> {
  const child = new Child<ServerHello>(`${kind} server`, './server.ts', [kind, ...extra], ['--expose-gc', ...node])
  children.add(child as Child<unknown>)
  return child
}
function load (name: string): Child<{ pid: number }> {
  const child = new Child<{ pid: number }>(`${name} load`, './load.ts', [])
  children.add(child as Child<unknown>)
  return child
}
async function stop (...list: Array<Child<unknown>>): Promise<void> {
  await Promise.all(list.map(async (child) => { children.delete(child); await child.stop() }))
}
const url = (hello: ServerHello): string => `http://127.0.0.1:${hello.port}`
// server CPU time in µs (user + system); `system` alone is logged for the request workloads
interface Cpu { user: number, system: number, full: number, pauseMs: number, faults: number, switches: number }
const cpuOf = (child: Child<unknown>): Promise<Cpu> => child.call<Cpu>('cpu')
const cpu = async (child: Child<unknown>): Promise<number> => { const { user, system } = await cpuOf(child); return user + system }

const results: Results = { rows: [], notes: [], sails: { ok: false, reason: 'Sails 1.5 runs in the request workloads, which this run left out' } }
const row = (r: Row): void => { results.rows.push(r); console.log(`  ${r.workload} · ${r.kind}: ${r.value.toFixed(2)} ${r.unit}` + (r.throughput !== undefined ? ` · ${Math.round(r.throughput)}/s · p50 ${r.p50?.toFixed(2)} ms · p99 ${r.p99?.toFixed(2)} ms` : '')) }

// ---- virtual requests: round trip and validated POST, one load process per server -----------------------
async function requests (sails: SailsState): Promise<void> {
  const kinds: Kind[] = ['raw', 'control', 'naive', 'sockets', 'inject', ...(sails.ok ? ['sails' as const] : [])]
  const pairs = kinds.map((kind) => ({ kind, srv: server(kind), gen: load(kind) }))
  const hellos = await Promise.all(pairs.map((p) => p.srv.ready))
  await Promise.all(pairs.map((p) => p.gen.ready))
  await Promise.all(pairs.map((p, i) => p.gen.call('connect', { url: url(hellos[i] as ServerHello), n: P.reqSockets, parallel: 10, join: false, query: p.kind === 'sails' ? SAILS_QUERY : undefined })))

  const workloads = [
    { name: W.roundtrip, verb: 'get', path: '/hello', data: undefined, on: want('roundtrip') },
    { name: W.post, verb: 'post', path: '/echo', data: postBody(), on: want('post') }
  ]
  for (const w of workloads) {
    if (!w.on) continue
    console.log(`${w.name}: ${P.reqSockets} sockets, ${P.rounds} x ${P.windowMs} ms windows per server`)
    const acc = new Map<Kind, { cpu: number, sys: number, faults: number, switches: number, count: number, ms: number, p50: number[], p99: number[] }>()
    for (const p of pairs) {
      await p.gen.call('roundtrip', { verb: w.verb, url: w.path, data: w.data, durationMs: P.warmupMs })
      acc.set(p.kind, { cpu: 0, sys: 0, faults: 0, switches: 0, count: 0, ms: 0, p50: [], p99: [] })
    }
    if (prof) for (const p of pairs) await p.srv.call('profileStart')
    for (let round = 0; round < P.rounds; round++) {
      for (const p of inTurn(pairs, round)) {
        const before = await cpuOf(p.srv)
        const r = await p.gen.call<RunResult>('roundtrip', { verb: w.verb, url: w.path, data: w.data, durationMs: P.windowMs })
        const after = await cpuOf(p.srv)
        const a = acc.get(p.kind)!
        a.cpu += after.user + after.system - before.user - before.system; a.sys += after.system - before.system; a.faults += after.faults - before.faults; a.switches += after.switches - before.switches; a.count += r.count; a.ms += r.elapsedMs; a.p50.push(r.latency.p50); a.p99.push(r.latency.p99)
      }
    }
    if (prof) for (const p of pairs) console.log(`  profile: ${await p.srv.call<string>('profileStop', { file: profileFile(w.name, p.kind) })}`)
    for (const [kind, a] of acc) {
      console.log(`  ${kind}: ${(a.sys / a.count).toFixed(1)} µs of it in the kernel; ${(a.faults / a.count).toFixed(3)} page faults and ${(a.switches / a.count).toFixed(3)} context switches a request`)
      row({ workload: w.name, kind, value: a.cpu / a.count, unit: 'µs CPU/request', throughput: a.count / (a.ms / 1000), p50: median(a.p50), p99: median(a.p99) })
    }
  }
  await stop(...pairs.flatMap((p) => [p.srv, p.gen] as Array<Child<unknown>>))
}

// ---- broadcast fan-out: local, and across two nodes through Redis ----------------------------------------
interface FanNode { srv: Child<ServerHello>, hello: ServerHello }
const notes = new Set<string>()

async function fanOut (name: string, kinds: Kind[], nodes: (kind: Kind) => Child<ServerHello>[], sockets: number): Promise<void> {
  console.log(`${name}: ${sockets} sockets in one room, ${P.fanRounds} x ${P.broadcasts} broadcasts per server`)
  const setups = await Promise.all(kinds.map(async (kind) => {
    const srvs = nodes(kind)
    const list: FanNode[] = await Promise.all(srvs.map(async (srv) => ({ srv, hello: await srv.ready })))
    const gen = load(`${kind} ${name}`)
    await gen.ready
    // spread the sockets over the nodes; each joins the room through a request to its own node
    for (const [i, node] of list.entries()) {
      const n = Math.floor(sockets / list.length) + (i < sockets % list.length ? 1 : 0)
      await gen.call('connect', { url: url(node.hello), n, parallel: 20, join: true })
    }
    if (kind === 'sockets' && !notes.has(name)) {
      notes.add(name)
      results.notes.push(`${name}: fastify-sockets sends with \`fastify.sockets.broadcast\`, ` + ((list[0] as FanNode).hello.typedEvents
        ? 'the event declared with a TypeBox schema, validation on.'
        : 'no event schema.') +
        (list.length > 1 ? ' Its nodes use the plugin\'s `cluster` option (acknowledged membership bus included); raw socket.io wires `@socket.io/redis-adapter` itself.' : ''))
    }
    const inRoom = await (list[0] as FanNode).srv.call<number>('roomSize')
    if (inRoom !== sockets) throw new Error(`${kind}: ${inRoom} sockets in the room, expected ${sockets}`)
    return { kind, list, gen }
  }))
  const acc = new Map<Kind, { cpu: number, count: number, ms: number, p50: number[], p99: number[] }>()
  for (let round = -1; round < P.fanRounds; round++) { // round -1 warms up
    for (const s of inTurn(setups, round)) {
      const count = round < 0 ? Math.ceil(P.broadcasts / 5) : P.broadcasts
      const expected = count * sockets
      await s.gen.call('arm', { expected, timeoutMs: 60_000 })
      const before = await Promise.all(s.list.map((n) => cpu(n.srv)))
      // paced so the load process keeps up: a client that falls behind makes the server's writes costlier
      await (s.list[0] as FanNode).srv.call('broadcast', { count, everyMs: P.everyMs, text: 'hello from the bench' })
      const r = await s.gen.call<DeliveryResult>('delivered')
      const after = await Promise.all(s.list.map((n) => cpu(n.srv)))
      if (round < 0) continue
      const a = acc.get(s.kind) ?? { cpu: 0, count: 0, ms: 0, p50: [], p99: [] }
      acc.set(s.kind, a)
      a.cpu += sum(after) - sum(before); a.count += r.count; a.ms += r.elapsedMs; a.p50.push(r.latency.p50); a.p99.push(r.latency.p99)
    }
  }
  for (const [kind, a] of acc) {
    row({ workload: name, kind, value: a.cpu / a.count, unit: 'µs CPU/delivery', throughput: a.count / (a.ms / 1000), p50: median(a.p50), p99: median(a.p99) })
  }
  await stop(...setups.flatMap((s) => [...s.list.map((n) => n.srv), s.gen] as Array<Child<unknown>>))
}

// ---- idle memory: growth per connected socket, one server at a time ------------------------------------
// RSS moves in steps (heap pages, allocator arenas), so one before/after pair is noisy: the figure is the
// least-squares slope over several sizes, and the young generation is pinned to 1 MB in these servers so
// its growth does not pass for per-socket memory.
interface Mem { rss: number, heapUsed: number, external: number, arrayBuffers: number }
async function memory (): Promise<void> {
  const name = W.memory
  const steps = 4
  console.log(`${name}: RSS slope per socket over ${steps} steps up to ${P.memSockets} sockets (after 100 warm-up sockets)`)
  for (const kind of ['raw', 'control', 'naive', 'sockets'] as Kind[]) {
    const srv = server(kind, [], ['--min-semi-space-size=1', '--max-semi-space-size=1'])
    const gen = load(`${kind} memory`)
    const hello = await srv.ready
    await gen.ready
    // warm-up: lazy code paths, JIT and buffer pools are paid before the first point
    await gen.call('connect', { url: url(hello), n: 100, parallel: 20, join: true })
    const points: Array<{ n: number, mem: Mem }> = [{ n: 0, mem: await srv.call<Mem>('mem') }]
    for (let step = 1; step <= steps; step++) {
      const n = Math.round(P.memSockets * step / steps)
      await gen.call('connect', { url: url(hello), n: n - (points.at(-1) as { n: number }).n, parallel: 50, join: false })
      points.push({ n, mem: await srv.call<Mem>('mem') })
    }
    const clients = await srv.call<number>('clients')
    if (clients !== P.memSockets + 100) throw new Error(`${kind}: ${clients} clients, expected ${P.memSockets + 100}`)
    row({ workload: name, kind, value: slope(points.map((p) => [p.n, p.mem.rss])) / 1024, unit: 'KB RSS/socket' })
    row({ workload: W.heap, kind, value: slope(points.map((p) => [p.n, p.mem.heapUsed + p.mem.external])) / 1024, unit: 'KB heap/socket' })
    await stop(srv as Child<unknown>, gen as Child<unknown>)
  }
}

async function main (): Promise<void> {
  const started = Date.now()
  console.log(`fastify-sockets bench${smoke ? ' (smoke: tiny counts, no speed asserted)' : ''} · ${machine().line}`)
  if (want('roundtrip') || want('post')) {
    const sails = noSails ? { ok: false as const, reason: 'Sails 1.5 left out of this run (--no-sails)' } : await ensureSails({ install: !smoke })
    results.sails = sails
    console.log(sails.ok ? `Sails ${sails.version} from bench/.sails joins the request workloads` : `${sails.reason}: the request workloads run without it`)
    if (sails.ok) results.notes.push(`Sails ${sails.version} (sails-hook-sockets, socket.io 4 inside) answers the same packets from routes given as functions, with only the hooks a socket request needs; it validates no schema, so on the POST it does less work than the Fastify servers.`)
    await requests(sails)
  }
  if (want('broadcast')) {
    await fanOut(W.broadcast, ['raw', 'control', 'sockets'], (kind) => [server(kind)], P.fanSockets)
  }
  if (want('memory')) await memory()
  if (want('scale')) await scale({ server: (kind) => server(kind), load, stop, cpu, times: cpuOf, row, ...(prof ? { profileFile } : {}) }, P)
  if (want('cluster')) {
    if (hasRedis()) {
      redis = await startRedis()
      const redisUrl = redis.url
      await fanOut(W.cluster, ['raw', 'sockets', 'streams'],
        (kind) => ['a', 'b'].map((node) => server(kind, [`--redis=${redisUrl}`, `--key=bench-${kind}`])), P.clusterSockets)
      await redis.stop()
      redis = undefined
    } else {
      if (!smoke) throw new Error('cluster workload needs redis-server on PATH (or pass --only= without cluster)')
      console.log('cluster fan-out: SKIPPED, redis-server is not on PATH')
      results.notes.push('cluster fan-out skipped: no redis-server')
    }
  }
  if (want('cluster3')) await cluster3()
  printTables(results, P)
  if (writeToReadme) await writeReport(results, P)
  console.log(`bench done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

// ---- cluster fan-out over three nodes: its own redis-server, CPU summed over the nodes ---------------------
async function cluster3 (): Promise<void> {
  if (!hasRedis()) {
    if (!smoke) throw new Error('three-node cluster workload needs redis-server on PATH (or pass --only= without cluster3)')
    console.log('cluster fan-out, 3 nodes: SKIPPED, redis-server is not on PATH')
    results.notes.push('cluster fan-out (3 nodes) skipped: no redis-server')
    return
  }
  redis = await startRedis()
  const redisUrl = redis.url
  await fanOut(W.cluster3, ['raw', 'sockets'],
    (kind) => ['a', 'b', 'c'].map(() => server(kind, [`--redis=${redisUrl}`, `--key=bench3-${kind}`])), P.cluster3Sockets)
  await redis.stop()
  redis = undefined
}

// Interrupted: children leave with their IPC channel; redis-server is stopped here, by its pid.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping`)
    void Promise.all([...children].map((child) => child.stop())).then(() => redis?.stop()).finally(() => process.exit(130))
  })
}

let failed = false
try {
  await main()
} catch (err) {
  failed = true
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
} finally {
  await Promise.all([...children].map((child) => child.stop()))
  await redis?.stop()
}
process.exit(failed ? 1 : 0)
