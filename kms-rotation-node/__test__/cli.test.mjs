// The package's `bin` (`npx kms-rotation`) is the core's command line: the same output and
// exit codes as the Rust binary (its golden files).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { version } from '../index.js'
import { DEMO } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const BIN = join(here, '..', 'bin', 'kms-rotation.js')
const GOLDEN = join(here, '..', '..', 'kms-rotation-core', 'tests', 'golden')

const REPO = join(here, '..', '..')
// From the repository, as the golden files were written: they name the demo by its path from there.
const run = (...args) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  })

test('the bin prints the golden report with the exit code of a FAIL', () => {
  const out = run(
    'check',
    '--snapshot',
    'examples/data/demo-account.json',
    '--exempt',
    'tag:rotation-exempt=true',
    '--format',
    'json',
  )
  assert.equal(out.status, 2, out.stderr)
  assert.equal(out.stdout, readFileSync(join(GOLDEN, 'demo.json'), 'utf8'))
})

test('a bad flag value is a usage error naming it', () => {
  const out = run('check', '--snapshot', DEMO, '--region', 'us-est-1')
  assert.equal(out.status, 1)
  assert.match(out.stderr, /us-est-1/)
})

test('--version is the package version', () => {
  const out = run('--version')
  assert.equal(out.status, 0)
  assert.equal(out.stdout.trim(), `kms-rotation ${version()}`)
})
