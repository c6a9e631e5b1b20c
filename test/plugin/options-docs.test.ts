import t from 'tap'
import { readFile } from 'node:fs/promises'
import { DEFAULTS, OPTION_NAMES } from '../../lib/options.js'
import { CLUSTER_DEFAULTS } from '../../lib/cluster/options.js'

// The docs' options blocks show the code's defaults: a default has one home (DEFAULTS), and the docs cannot
// drift from it. In each block an option with a default is shown with that default as its value.

/** The `name: value` lines of the first ```ts block after `marker` (commented-out lines included), by name. */
async function block (file: string, marker: string): Promise<Map<string, string>> {
  const text = await readFile(new URL(`../../docs/${file}`, import.meta.url), 'utf8')
  const start = text.indexOf('```ts', text.indexOf(marker))
  const end = text.indexOf('```', start + 5)
  const entries = new Map<string, string>()
  for (const raw of text.slice(start + 5, end).split('\n')) {
    const line = raw.trim().replace(/^\/\/\s*/, '')
    // `name: value, // comment`: the value runs to the last comma before the comment (or the line's end)
    const match = /^([A-Za-z]+): (.*?),?\s*(?:\/\/.*)?$/.exec(line)
    if (match !== null) entries.set(match[1] as string, match[2] as string)
  }
  return entries
}

function literal (source: string): unknown {
  // eslint-disable-next-line no-new-func -- the docs' own literals (numbers, strings, arrays, objects), nothing else
  return new Function(`return (${source})`)()
}

t.test('docs/options.md shows every option, and every default as DEFAULTS has it', async (t) => {
  const shown = await block('options.md', '# Options')
  t.same([...shown.keys()].sort(), [...OPTION_NAMES].sort(), 'every option, and nothing else')
  for (const [name, value] of Object.entries(DEFAULTS)) {
    if (value === undefined) continue
    t.same(literal(shown.get(name) ?? 'undefined'), value, `${name} shows its default`)
  }
})

t.test('docs/cluster.md shows every cluster default as CLUSTER_DEFAULTS has it', async (t) => {
  const shown = await block('cluster.md', '# Cluster')
  for (const [name, value] of Object.entries(CLUSTER_DEFAULTS)) {
    t.same(literal(shown.get(name) ?? 'undefined'), value, `cluster.${name} shows its default`)
  }
  t.ok(shown.has('redis') && shown.has('nodeId'), 'and the options without a default')
})
