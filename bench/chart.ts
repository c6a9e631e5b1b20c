import type { Kind } from './server.js'
import { W, type Results, type Row } from './report.js'

// docs/bench.svg: server CPU per unit of every CPU workload as horizontal bars, one group per workload, on one
// axis in multiples of raw socket.io's figure of the same workload and run (absolute µs as labels).

const ORDER: Kind[] = ['raw', 'sockets', 'inject', 'streams', 'naive', 'sails']
const LABEL: Record<Kind, string> = { raw: 'raw socket.io', control: 'raw socket.io (control)', sockets: 'fastify-sockets', streams: 'fastify-sockets, streams + recovery', inject: "fastify-sockets, dispatch: 'inject'", naive: 'naive fastify.inject', sails: 'Sails 1.5' }
const COLOR: Record<Kind, string> = { raw: '#8a8f98', control: '#b1b6bd', sockets: '#1f6feb', streams: '#54aeff', inject: '#8250df', naive: '#d29922', sails: '#cf222e' }

const WIDTH = 820
const LEFT = 250
const BAR_AREA = 430
const BAR = 15
const GAP = 4

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The SVG text; `line` (machine and date) goes under the title. */
export function chart (results: Results, line: string): string {
  // Sails answers the request workloads only: its bar is missing from the others by design, not by failure
  const sailsWorkloads = new Set<string>([W.roundtrip, W.post])
  const groups = [...new Set(results.rows.filter((r) => r.unit.startsWith('µs CPU')).map((r) => r.workload))]
    .map((workload) => {
      const rows = results.rows.filter((r) => r.workload === workload)
      const raw = rows.find((r) => r.kind === 'raw')
      const bars = ORDER.map((kind) => rows.find((r) => r.kind === kind)).filter((r): r is Row => r !== undefined)
      const missingSails = sailsWorkloads.has(workload) && !bars.some((r) => r.kind === 'sails')
      return { workload, raw, bars, missingSails }
    })
    .filter((g) => g.raw !== undefined)
  const ratios = groups.flatMap((g) => g.bars.map((r) => r.value / (g.raw as Row).value))
  const max = Math.max(2, Math.ceil(Math.max(...ratios, 1)))
  const x = (ratio: number): number => LEFT + BAR_AREA * ratio / max
  const out: string[] = []
  let y = 58
  for (const g of groups) {
    out.push(`<text x="12" y="${y + 12}" class="group">${esc(g.workload)} <tspan class="unit">(${esc(g.bars[0]?.unit ?? '')})</tspan></text>`)
    y += 20
    for (const r of g.bars) {
      const ratio = r.value / (g.raw as Row).value
      out.push(`<text x="${LEFT - 8}" y="${y + BAR - 3}" class="kind">${LABEL[r.kind]}</text>`)
      out.push(`<rect x="${LEFT}" y="${y}" width="${(x(ratio) - LEFT).toFixed(1)}" height="${BAR}" fill="${COLOR[r.kind]}"/>`)
      out.push(`<text x="${(x(ratio) + 6).toFixed(1)}" y="${y + BAR - 3}" class="value">${r.value.toFixed(1)} µs · ${ratio.toFixed(2)}x</text>`)
      y += BAR + GAP
    }
    if (g.missingSails) {
      out.push(`<text x="${LEFT - 8}" y="${y + BAR - 3}" class="kind">${LABEL.sails}</text>`)
      out.push(`<text x="${LEFT + 6}" y="${y + BAR - 3}" class="missing">not measured in this run (see the note below)</text>`)
      y += BAR + GAP
    }
    y += 14
  }
  const axisTop = 50
  const axisBottom = y - 6
  const grid: string[] = []
  for (let k = 0; k <= max; k++) {
    grid.push(`<line x1="${x(k)}" y1="${axisTop}" x2="${x(k)}" y2="${axisBottom}" class="${k === 1 ? 'one' : 'grid'}"/>`)
    grid.push(`<text x="${x(k)}" y="${axisBottom + 14}" class="tick">${k}x</text>`)
  }
  const sails = results.sails
  const foot = sails.ok
    ? `Sails ${sails.version} answers the request workloads only.`
    : `No Sails bars: ${sails.reason}.`
  y = axisBottom + 34
  const height = y + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" role="img" aria-label="Server CPU per unit, relative to raw socket.io">`,
    '<style>.title{font-size:15px;font-weight:600}.sub,.unit,.tick,.foot{font-size:11px;fill:#57606a}.group{font-size:12.5px;font-weight:600}.unit{font-weight:400}' +
      '.kind{font-size:11.5px;text-anchor:end}.value{font-size:11px}.missing{font-size:11px;font-style:italic;fill:#cf222e}.tick{text-anchor:middle}' +
      '.grid{stroke:#d0d7de;stroke-width:1}.one{stroke:#57606a;stroke-width:1;stroke-dasharray:3 3}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    '<text x="12" y="20" class="title">Server CPU per unit, relative to raw socket.io in the same run (shorter is better)</text>',
    `<text x="12" y="37" class="sub">${esc(line)}</text>`,
    ...grid,
    ...out,
    `<text x="12" y="${y}" class="foot">${esc(foot)} Absolute µs drift with the machine; the ratios are what the bench compares.</text>`,
    '</svg>',
    ''
  ].join('\n')
}
