import os from 'node:os'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Kind } from './server.js'

// The results tables: printed, and written into the README between the bench markers.

/** Workload names, shared by the driver and the budget table. */
export const W = {
  roundtrip: 'virtual request round trip',
  post: 'POST 1 KB JSON, schema-validated',
  broadcast: 'broadcast fan-out',
  memory: 'idle memory',
  heap: 'idle memory (JS heap + external)',
  cluster: 'cluster fan-out (2 nodes + Redis)'
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
export interface Results { rows: Row[], notes: string[] }

const MEASURE: Record<string, string> = {
  [W.roundtrip]: 'server CPU per request',
  [W.post]: 'server CPU per request',
  [W.broadcast]: 'server CPU per delivery',
  [W.memory]: 'RSS per socket',
  [W.heap]: 'JS heap + external per socket',
  [W.cluster]: 'CPU per delivery, both nodes'
}
const BUDGET: Record<string, { max: number, stretch?: number }> = {
  [W.roundtrip]: { max: 2.0, stretch: 1.5 },
  [W.broadcast]: { max: 1.10 },
  [W.memory]: { max: 1.15 }
}
const NAMES: Record<Kind, string> = { raw: 'raw socket.io', naive: 'naive `fastify.inject`', sockets: 'fastify-sockets', streams: 'fastify-sockets, streams adapter + recovery' }

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

export function tables (results: Results, params: Record<string, number>): string {
  const lines: string[] = []
  lines.push('| workload | measure | raw socket.io | naive `fastify.inject` / raw | fastify-sockets / raw | budget |')
  lines.push('|---|---|---|---|---|---|')
  for (const w of workloads(results)) {
    const raw = find(results, w, 'raw')
    const naive = find(results, w, 'naive')
    const ours = find(results, w, 'sockets')
    const ratio = (r: Row | undefined): number | undefined => r === undefined || raw === undefined ? undefined : r.value / raw.value
    const show = (x: number | undefined): string => x === undefined ? '—' : `${fmt(x, 2)}x`
    const ourRatio = ratio(ours)
    lines.push(`| ${w} | ${MEASURE[w] ?? ''} | ${raw === undefined ? '—' : `${fmt(raw.value, raw.value < 10 ? 2 : 1)} ${raw.unit.split(' ')[0]}`} | ${show(ratio(naive))} | ${show(ourRatio)} | ${verdict(w, ourRatio)} |`)
  }
  // the zero-loss configuration against the default adapter, where both ran
  for (const w of workloads(results)) {
    const pubsub = find(results, w, 'sockets')
    const streams = find(results, w, 'streams')
    if (pubsub !== undefined && streams !== undefined) {
      lines.push('', `${w}: the streams adapter with recovery costs ${fmt(streams.value / pubsub.value, 2)}x the pub/sub adapter's ${pubsub.unit.split(' ').slice(1).join(' ')}.`)
    }
  }
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

/** Replaces what stands between the bench markers of the README's Benchmarks section. */
export async function writeReadme (results: Results, params: Record<string, number>): Promise<void> {
  const file = new URL('../README.md', import.meta.url)
  const readme = await readFile(file, 'utf8')
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block in its Benchmarks section`)
  const body = `Measured ${machine().line}.\n\n${tables(results, params)}\n`
  await writeFile(file, readme.slice(0, start + START.length) + '\n' + body + readme.slice(end))
  console.log('README.md: Benchmarks table updated')
}
