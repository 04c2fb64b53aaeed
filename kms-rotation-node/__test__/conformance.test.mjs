// The core's conformance suite against the Node transport: `JsonClient` over a
// JavaScript object, every call crossing into JavaScript and back into the
// snapshot's SDK v3-shaped fake.
import assert from 'node:assert/strict'
import { it } from 'node:test'

import { runConformance } from '../index.js'
import { recording } from './helpers.mjs'

const CASES = [
  'listing_across_pages',
  'aliases_name_their_keys',
  'decision_table_rows_and_their_calls',
  'throttling_then_success',
  'access_denied_on_one_key',
  'region_not_enabled',
  'remediation_reads_back',
  'rotation_history_across_pages',
]

function assertPassed(results) {
  assert.deepEqual(
    results.map((r) => r.name),
    CASES,
  )
  const failed = results.filter((r) => r.outcome !== 'passed').map((r) => `${r.name}: ${r.outcome} (${r.detail})`)
  assert.deepEqual(failed, [], `conformance failures:\n${failed.join('\n')}`)
}

it('passes every case with the snapshot fake as the client', async () => {
  assertPassed(await runConformance((fake) => fake))
})

it('passes every case through plain JavaScript objects that record each call', async () => {
  const clients = []
  const results = await runConformance((fake) => {
    const client = recording(fake, { region: 'string' })
    clients.push(client)
    return client
  })
  assertPassed(results)
  const calls = clients.flatMap((c) => c.calls)
  assert.ok(calls.length > 2000, `${calls.length} calls crossed into JavaScript`)
  assert.ok(calls.some(([method]) => method === 'enableKeyRotation'))
  assert.ok(calls.some(([method]) => method === 'listKeyRotations'))
})
