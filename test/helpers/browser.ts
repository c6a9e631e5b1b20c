import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import type { Teardown } from './app.js'

// Debian's chromium driven by playwright-core: no browser download.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Generous deadline for page waits: the machine is shared. */
export const WAIT = { timeout: 30_000 }

/**
 * tap's `skip` option for a browser test: a loud reason when chromium is missing and REQUIRE_BROWSER is
 * unset; `false` otherwise (with REQUIRE_BROWSER=1 a missing chromium fails in `launch`).
 */
export function browserSkip (): string | false {
  if (existsSync(CHROMIUM) || process.env.REQUIRE_BROWSER === '1') return false
  const reason = `chromium not found at ${CHROMIUM} (apt-get install chromium); set REQUIRE_BROWSER=1 to fail instead`
  console.error(`\n!!! SKIPPING browser test: ${reason}\n`)
  return reason
}

/** Launches headless Chromium, closed in teardown. */
export async function launch (t: Teardown): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`REQUIRE_BROWSER=1 but chromium is not installed at ${CHROMIUM}`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
  t.teardown(() => browser.close())
  return browser
}
