// The README's Testing section, run as written: its TypeScript snippet saved under the file name the README
// gives, and the README's own command line to run it, in a directory of this repository (so `fastify-sockets`
// resolves to this package, as in an app that installed it: to dist/, which `npm test` builds first).
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT, run } from '../package/helpers.js'

/** The first fenced block of `lang` after `from` in `text`, and where it ends. */
function block (text: string, lang: string, from: number): { code: string, end: number } {
  const open = text.indexOf('```' + lang + '\n', from)
  if (open < 0) throw new Error(`README.md: no \`\`\`${lang} block after offset ${from}`)
  const start = open + lang.length + 4
  const close = text.indexOf('\n```', start)
  return { code: text.slice(start, close + 1), end: close + 4 }
}

t.test('the README\'s Testing snippet runs as written', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.indexOf('\n## Testing\n')
  t.ok(section > 0, 'README.md has a Testing section')
  const snippet = block(readme, 'ts', section)
  const command = block(readme, 'sh', snippet.end).code.trim()
  t.match(command, /^node --import tsx --test (\S+\.test\.ts)$/, 'the command is node\'s test runner with tsx, on one file')
  t.match(snippet.code, /app\.sockets\.connectClient\(/, 'the snippet uses connectClient()')

  if (!existsSync(join(ROOT, 'dist', 'index.js'))) await run('npm', ['run', 'build'], ROOT, 240_000)
  // Inside the repository, not os.tmpdir(): the self-reference and node_modules resolve from here.
  mkdirSync(join(ROOT, '.tap'), { recursive: true })
  const dir = mkdtempSync(join(ROOT, '.tap', 'readme-testing-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const [, file] = /--test (\S+)$/.exec(command) as RegExpExecArray
  mkdirSync(dirname(join(dir, file as string)), { recursive: true })
  writeFileSync(join(dir, file as string), snippet.code)

  const [node, ...args] = command.split(/\s+/)
  t.equal(node, 'node')
  const out = await run(process.execPath, args, dir, 60_000)
  t.match(out, /^# pass 1$/m, 'its one test passes')
  t.match(out, /^# fail 0$/m)
})
