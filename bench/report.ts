import os from 'node:os'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Kind } from './server.js'
import type { SailsState } from './sails.js'
import { chart } from './chart.js'
import { recordRun, type Spread } from './history.js'

// The results: printed; written into docs/benchmarks.md (full tables) and the README (the ratios) between
// their bench markers, and drawn into docs/bench.svg.

/** Workload names, shared by the driver and the budget table. */
export const W = {
  roundtrip: 'virtual request round trip',
  post: 'POST 1 KB JSON, schema-validated',
  broadcast: 'broadcast fan-out',
  memory: 'idle memory',
  heap: 'idle memory (JS heap + external)',
  cluster: 'cluster fan-out (2 nodes + Redis)',
  cluster3: 'cluster fan-out (3 nodes + Redis)',
  scaleHeap: 'many sockets: JS heap + external',
  scaleBroadcast: 'many sockets: broadcast to all',
  scaleLatency: 'many sockets: p99 delivery latency',
  scaleRequest: 'many sockets: virtual request',
  scaleJoin: 'many sockets: join through a route'
} as const

export interface Row {
  workload: string
  kind: Kind
  /** Lower is better: server CPU per unit, or memory per socket. */
  value: number
  unit: string
  throughput?: number
  p50?: number
  p99?: number
}
export interface Results { rows: Row[], notes: string[], sails: SailsState }

const MEASURE: Record<string, string> = {
  [W.roundtrip]: 'server CPU per request',
  [W.post]: 'server CPU per request',
  [W.broadcast]: 'server CPU per delivery',
  [W.memory]: 'RSS per socket',
  [W.heap]: 'JS heap + external per socket',
  [W.cluster]: 'CPU per delivery, both nodes',
  [W.cluster3]: 'CPU per delivery, summed over the 3 nodes',
  [W.scaleHeap]: 'JS heap + external per socket',
  [W.scaleBroadcast]: 'server CPU per delivery',
  [W.scaleLatency]: 'p99 broadcast-to-delivery latency',
  [W.scaleRequest]: 'server CPU per `GET /hello`',
  [W.scaleJoin]: 'server CPU per join of a new room'
}
// issue 17's budgets (round trip and POST: the targets of the hot-path work)
const BUDGET: Record<string, { max: number, stretch?: number }> = {
  [W.roundtrip]: { max: 1.2 },
  [W.post]: { max: 1.5 },
  [W.broadcast]: { max: 1.10 },
  [W.memory]: { max: 1.15 },
  [W.scaleHeap]: { max: 1.05 },
  [W.scaleBroadcast]: { max: 1.05 },
  [W.scaleLatency]: { max: 1.1 },
  [W.scaleRequest]: { max: 1.2 },
  [W.scaleJoin]: { max: 1.2 }
}
const NAMES: Record<Kind, string> = { raw: 'raw socket.io', control: 'raw socket.io again (control)', naive: 'naive `fastify.inject`', sockets: 'fastify-sockets', streams: 'fastify-sockets, streams adapter + recovery', inject: 'fastify-sockets, `dispatch: \'inject\'`', sails: 'Sails 1.5' }

export function machine (): { line: string } {
  const require = createRequire(import.meta.url)
  const version = (name: string): string => (require(`${name}/package.json`) as { version: string }).version
  const cpus = os.cpus()
  const line = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${os.availableParallelism()} x ${cpus[0]?.model.trim() ?? 'unknown CPU'} · ` +
    `Node ${process.version} · socket.io ${version('socket.io')} · fastify ${version('fastify')} · load average ${os.loadavg()[0]?.toFixed(1)}`
  return { line }
}

const fmt = (n: number, digits = 1): string => Number.isFinite(n) ? n.toFixed(digits) : '—'

function workloads (results: Results): string[] {
  return [...new Set(results.rows.map((r) => r.workload))]
}
function find (results: Results, workload: string, kind: Kind): Row | undefined {
  return results.rows.find((r) => r.workload === workload && r.kind === kind)
}

function verdict (workload: string, ratio: number | undefined): string {
  const budget = BUDGET[workload]
  if (budget === undefined) return '—'
  const text = `<= ${budget.max.toFixed(2)}x` + (budget.stretch !== undefined ? ` (stretch ${budget.stretch.toFixed(2)}x)` : '')
  if (ratio === undefined) return text
  const met = ratio <= budget.max ? (budget.stretch !== undefined && ratio <= budget.stretch ? 'met, stretch too' : 'met') : '**not met**'
  return `${text}: ${met}`
}

/**
 * The ratios to raw socket.io, one line per workload (what the README shows); with `spread`, the lowest and
 * highest fastify-sockets / raw of the recorded runs of the same lib/ too.
 */
export function ratioTable (results: Results, spread?: Spread): string {
  const lines: string[] = []
  const range = (w: string, kind: Kind): string => {
    const r = spread?.ratio(w, kind)
    return r === undefined ? '—' : `${fmt(r.min, 2)}–${fmt(r.max, 2)}x`
  }
  const runs = spread === undefined ? '' : ` | fastify-sockets / raw, ${spread.runs} run${spread.runs === 1 ? '' : 's'}`
  lines.push(`| workload | measure | raw socket.io | fastify-sockets / raw${runs} | budget | control: raw / raw | naive \`fastify.inject\` / raw | Sails 1.5 / raw |`)
  lines.push(`|---|---|---|---${spread === undefined ? '' : '|---'}|---|---|---|---|`)
  for (const w of workloads(results)) {
    const raw = find(results, w, 'raw')
    const ratio = (kind: Kind): number | undefined => {
      const r = find(results, w, kind)
      return r === undefined || raw === undefined ? undefined : r.value / raw.value
    }
    const show = (x: number | undefined): string => x === undefined || !Number.isFinite(x) ? '—' : `${fmt(x, 2)}x`
    const ourRatio = ratio('sockets')
    lines.push(`| ${w} | ${MEASURE[w] ?? ''} | ${raw === undefined ? '—' : `${fmt(raw.value, raw.value < 10 ? 2 : 1)} ${raw.unit.split(' ')[0]}`} | ${show(ourRatio)}${spread === undefined ? '' : ` | ${range(w, 'sockets')}`} | ${verdict(w, ourRatio)} | ${show(ratio('control'))} | ${show(ratio('naive'))} | ${show(ratio('sails'))} |`)
  }
  // the zero-loss configuration against the default adapter, where both ran
  for (const w of workloads(results)) {
    const pubsub = find(results, w, 'sockets')
    const streams = find(results, w, 'streams')
    if (pubsub !== undefined && streams !== undefined) {
      lines.push('', `${w}: the streams adapter with recovery costs ${fmt(streams.value / pubsub.value, 2)}x the pub/sub adapter's ${pubsub.unit.split(' ').slice(1).join(' ')}.`)
    }
    const inject = find(results, w, 'inject')
    const raw = find(results, w, 'raw')
    if (pubsub !== undefined && inject !== undefined && raw !== undefined) {
      lines.push('', `${w}: \`dispatch: 'inject'\` costs ${fmt(inject.value / raw.value, 2)}x raw socket.io, ${fmt(inject.value / pubsub.value, 2)}x the lean dispatch.`)
    }
  }
  return lines.join('\n')
}

export function tables (results: Results, params: Record<string, number>, spread?: Spread): string {
  const lines: string[] = [ratioTable(results, spread)]
  lines.push('')
  lines.push('| workload | server | server CPU or memory per unit | client-seen throughput | p50 | p99 |')
  lines.push('|---|---|---|---|---|---|')
  for (const r of results.rows) {
    lines.push(`| ${r.workload} | ${NAMES[r.kind]} | ${fmt(r.value, 2)} ${r.unit} | ` +
      (r.throughput === undefined ? '— | — | — |' : `${Math.round(r.throughput).toLocaleString('en-US')}/s | ${fmt(r.p50 ?? NaN, 2)} ms | ${fmt(r.p99 ?? NaN, 2)} ms |`))
  }
  lines.push('')
  lines.push(`Parameters: ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ')}.`)
  for (const note of results.notes) lines.push('', note)
  return lines.join('\n')
}

export function printTables (results: Results, params: Record<string, number>): void {
  console.log('\n' + tables(results, params) + '\n')
}

const START = '<!-- bench:start -->'
const END = '<!-- bench:end -->'

/** Replaces what stands between the bench markers of `file` (relative to the repository root) with `body`. */
async function between (file: string, body: string): Promise<void> {
  const url = new URL(`../${file}`, import.meta.url)
  const text = await readFile(url, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start < 0 || end < start) throw new Error(`${file} has no ${START} ... ${END} block`)
  await writeFile(url, text.slice(0, start + START.length) + '\n' + body + text.slice(end))
}

/** Writes the run: full tables into docs/benchmarks.md, the ratios into the README, the chart into docs/bench.svg. */
export async function writeReport (results: Results, params: Record<string, number>): Promise<void> {
  const line = machine().line
  const spread = await recordRun(results, new Date().toISOString())
  const over = `The spread column: lowest and highest ratio over the ${spread.runs} run${spread.runs === 1 ? '' : 's'} recorded in bench/results/runs.json for this lib/ (git tree ${spread.lib}).`
  await between('docs/benchmarks.md', `Measured ${line}.\n\n${tables(results, params, spread)}\n\n${over}\n`)
  await between('README.md', `Last full run, ${line}:\n\n${ratioTable(results, spread)}\n\n${over}\n`)
  await writeFile(new URL('../docs/bench.svg', import.meta.url), chart(results, line))
  console.log('docs/benchmarks.md, README.md and docs/bench.svg: written from this run')
}
