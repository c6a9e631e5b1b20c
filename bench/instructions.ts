import { execFile } from 'node:child_process'
import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { Child } from './rpc.js'
import { postBody } from './shapes.js'
import type { Kind, ServerHello } from './server.js'
import type { RunResult } from './load.js'
import { inTurn, median } from './stats.js'

// `npm run bench:instructions`: the request workloads counted in instructions, not seconds. Each server runs
// under valgrind's callgrind with its counting off; after a warm-up the driver turns counting on for a window of a
// known number of requests, dumps the count and turns it off again. Instructions are what the server's threads
// executed in user space (the kernel's part is not counted; it is the same system calls for every server), and
// the count does not move with what else the machine is doing: on a machine where two processes of identical
// code land 10-25% apart in CPU time, this is the figure that can tell a 1 µs change from noise.
// The servers run some 20 to 50 times slower under callgrind; the figures are per request, so that does not
// matter, but the JIT sees the same code: the warm-up is long enough for it to settle (the spread over the
// windows shows it did).

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const KINDS = (arg('kinds')?.split(',') ?? ['raw', 'control', 'sockets']) as Kind[]
const SOCKETS = Number(arg('sockets') ?? 50)
const WARMUP = Number(arg('warmup') ?? 1500) // requests per socket before counting: fewer leave the JIT compiling in the windows
const EACH = Number(arg('each') ?? 100) // requests per socket in a counted window
const ROUNDS = Number(arg('rounds') ?? 5) // the median is reported: a window where the JIT recompiled something stands out
const only = arg('only')?.split(',')
for (const [name, value] of Object.entries({ sockets: SOCKETS, warmup: WARMUP, each: EACH, rounds: ROUNDS })) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`bench:instructions: --${name} must be a whole number of at least 1, got ${String(value)}`)
}
// V8 without background threads: under callgrind threads take turns, and a helper thread that waits by spinning
// would count instructions by the second, not by the request (the GC runs on the main thread instead). The young
// generation's collections are counted: they follow what a request allocates. Full (mark-compact) collections are
// not: the old generation is given room enough that none comes in the run (a window where one did is reported and
// left out). Whether one lands in a window moves its count by some 15%, and how soon one comes depends on what
// survived the young collections, which is timing, not work. (Running one before each window is no cure: it flushes
// compiled code, and the window pays for compiling it again.)
const V8 = (arg('v8') ?? '--single-threaded,--predictable-gc-schedule,--initial-old-space-size=1024').split(',').filter((f) => f !== '')
const OUT = new URL('./profiles/callgrind/', import.meta.url).pathname

const run = promisify(execFile)
const control = async (pid: number, ...command: string[]): Promise<void> => { await run('callgrind_control', [...command, String(pid)]) }

/** Instructions counted since counting was last turned on: a dump, read back from its file. */
async function dump (kind: Kind, pid: number): Promise<number> {
  const before = new Set(await readdir(OUT))
  await control(pid, '--dump')
  const file = (await readdir(OUT)).find((f) => !before.has(f) && f.startsWith(`${kind}.${pid}.`))
  if (file === undefined) throw new Error(`${kind}: callgrind wrote no dump`)
  const text = await readFile(OUT + file, 'utf8')
  const total = /^(?:summary|totals): (\d+)/m.exec(text)
  if (total === null) throw new Error(`${kind}: no total in ${file}`)
  return Number(total[1])
}

// --only=roundtrip,post,join (the names of npm run bench's workloads); join: each request joins a room never joined before
const workloads = [
  { key: 'roundtrip', name: 'virtual request round trip', verb: 'get', path: '/hello', data: undefined as unknown, fresh: false },
  { key: 'post', name: 'POST 1 KB JSON, schema-validated', verb: 'post', path: '/echo', data: postBody() as unknown, fresh: false },
  { key: 'join', name: 'join of a new room through a route', verb: 'get', path: '/side', data: undefined as unknown, fresh: true }
].filter((w) => only === undefined || only.includes(w.key))
const unknown = only?.filter((name) => !['roundtrip', 'post', 'join'].includes(name)) ?? []
if (unknown.length > 0) throw new Error(`bench:instructions: --only takes roundtrip, post and join, not ${unknown.join(', ')}`)

async function main (): Promise<void> {
  await rm(OUT, { recursive: true, force: true })
  await mkdir(OUT, { recursive: true })
  const pairs = KINDS.map((kind) => {
    const srv = new Child<ServerHello>(`${kind} server`, './server.ts', [kind], ['--expose-gc', ...V8],
      ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${OUT}${kind}.%p`, '--quiet'])
    const gen = new Child<{ pid: number }>(`${kind} load`, './load.ts', [])
    return { kind, srv, gen, pid: srv.proc.pid as number }
  })
  try {
    const hellos = await Promise.all(pairs.map((p) => p.srv.ready))
    await Promise.all(pairs.map((p) => p.gen.ready))
    await Promise.all(pairs.map((p, i) => p.gen.call('connect', { url: `http://127.0.0.1:${(hellos[i] as ServerHello).port}`, n: SOCKETS, parallel: 10, join: false })))
    console.log(`instructions per request: ${SOCKETS} sockets, ${WARMUP} warm-up requests each, ${ROUNDS} counted windows of ${EACH} requests each per server`)
    for (const w of workloads) {
      const counts = new Map<Kind, number[]>(KINDS.map((k) => [k, []]))
      const ask = (p: typeof pairs[number], each: number): Promise<RunResult> =>
        p.gen.call<RunResult>('roundtrip', { verb: w.verb, url: w.path, data: w.data, durationMs: 0, each, fresh: w.fresh })
      await Promise.all(pairs.map((p) => ask(p, WARMUP)))
      for (let round = 0; round < ROUNDS; round++) {
        // one server counting at a time, the others idle: nothing of theirs runs on its clock
        for (const p of inTurn(pairs, round)) {
          const full = (await p.srv.call<{ full: number }>('cpu')).full
          await control(p.pid, '--instr=on')
          await control(p.pid, '--zero') // what ran since the last dump (the dump and switch-off) is not the window's
          const r = await ask(p, EACH)
          const total = await dump(p.kind, p.pid)
          await control(p.pid, '--instr=off')
          const inWindow = (await p.srv.call<{ full: number }>('cpu')).full - full
          if (inWindow > 0) console.log(`  ${p.kind}: ${inWindow} full collection(s) in window ${round + 1}: left out`)
          else counts.get(p.kind)?.push(total / r.count)
        }
      }
      const raw = median(counts.get('raw') ?? [])
      console.log(`${w.name}:`)
      for (const [kind, list] of counts) {
        if (list.length === 0) { console.log(`  ${kind.padEnd(8)} every window had a full collection: no count`); continue }
        const m = median(list)
        const ratio = Number.isNaN(raw) ? '' : `  ${(m / raw).toFixed(3)}x raw`
        console.log(`  ${kind.padEnd(8)} ${Math.round(m).toLocaleString('en-US').padStart(10)} instructions/request${ratio}` +
          `  (windows: ${list.map((v) => Math.round(v).toLocaleString('en-US')).join(', ')}; spread ${((Math.max(...list) / Math.min(...list) - 1) * 100).toFixed(1)}%)`)
      }
    }
  } finally {
    await Promise.all(pairs.flatMap((p) => [p.srv.stop(), p.gen.stop()]))
  }
}

await main()
