import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import type { Kind } from './server.js'
import type { Results } from './report.js'

// Every full run appends its ratios to raw socket.io to bench/results/runs.json, under the git tree of lib/
// it measured; the report shows the spread over the runs of the lib/ being measured now, so rerunning the bench
// after a change starts a new spread by itself.

export interface RunRecord { at: string, lib: string, ratios: Record<string, Partial<Record<Kind, number>>> }
export interface Spread { lib: string, runs: number, ratio: (workload: string, kind: Kind) => { min: number, max: number } | undefined }

const FILE = new URL('./results/runs.json', import.meta.url)
const KEEP = 30

/** The git tree id of lib/ at HEAD (short), `+dirty` when lib/ has uncommitted changes. */
export function libVersion (): string {
  const cwd = new URL('..', import.meta.url)
  try {
    const tree = execFileSync('git', ['rev-parse', '--short=10', 'HEAD:lib'], { cwd, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${tree}+dirty` : tree
  } catch {
    return 'unknown'
  }
}

function ratiosOf (results: Results): RunRecord['ratios'] {
  const out: RunRecord['ratios'] = {}
  for (const r of results.rows) {
    const raw = results.rows.find((x) => x.workload === r.workload && x.kind === 'raw')
    if (raw === undefined || r.kind === 'raw') continue
    ;(out[r.workload] ??= {})[r.kind] = r.value / raw.value
  }
  return out
}

/** Appends this run, keeps the last runs, and returns the spread over the runs of the same lib/. */
export async function recordRun (results: Results, at: string): Promise<Spread> {
  const runs: RunRecord[] = existsSync(FILE) ? JSON.parse(await readFile(FILE, 'utf8')) as RunRecord[] : []
  const lib = libVersion()
  runs.push({ at, lib, ratios: ratiosOf(results) })
  await mkdir(new URL('.', FILE), { recursive: true })
  await writeFile(FILE, JSON.stringify(runs.slice(-KEEP), null, 1) + '\n')
  const same = runs.filter((r) => r.lib === lib)
  return {
    lib,
    runs: same.length,
    ratio: (workload, kind) => {
      const values = same.map((r) => r.ratios[workload]?.[kind]).filter((v): v is number => v !== undefined && Number.isFinite(v))
      return values.length === 0 ? undefined : { min: Math.min(...values), max: Math.max(...values) }
    }
  }
}
