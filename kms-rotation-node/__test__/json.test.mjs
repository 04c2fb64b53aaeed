// The addon's plain objects JSON-equal the Rust library's canonical JSON for
// the demo account (fixtures/demo-rust.json, which tests/canonical_json.rs
// checks against the Rust core), apart from timing fields.
import assert from 'node:assert/strict'
import { it } from 'node:test'

import { checkAccount, checkKey, loadSnapshot, remediate } from '../index.js'
import { DEMO, canonical, readFixture } from './helpers.mjs'

it('gives the same JSON as Rust for every call on the demo account', async () => {
  const expected = readFixture()
  // The same calls, in the same order, on one snapshot, as tests/canonical_json.rs.
  const client = loadSnapshot(DEMO)
  const actual = {}
  const report = await checkAccount({ client })
  actual.checkAccount = canonical(report)
  actual.checkAccountWithPolicy = canonical(
    await checkAccount({
      client,
      regions: ['us-east-1'],
      maxRotationPeriodDays: 180,
      evaluateDisabledKeys: false,
      exemptions: ['tag:rotation-exempt=true', 'alias/tmp-migration'],
    }),
  )
  const policy = {
    maxRotationPeriodDays: 180,
    evaluateDisabledKeys: false,
    exemptions: ['tag:rotation-exempt=true', 'alias/tmp-migration'],
  }
  actual.checkKeyAlias = canonical(await checkKey('alias/payments-db', { client, region: 'us-east-1', ...policy }))
  actual.checkKeyArn = canonical(
    await checkKey('arn:aws:kms:us-east-1:111122223333:key/7f26104f-77a7-4e47-b546-cd1ea99b6c99', { client, ...policy }),
  )
  actual.remediateDryRun = canonical(await remediate(report, { client }))
  actual.remediateApplied = canonical(await remediate(report, { client, dryRun: false, rotationPeriodDays: 180 }))

  assert.deepEqual(Object.keys(actual), Object.keys(expected))
  for (const name of Object.keys(expected)) {
    assert.deepStrictEqual(actual[name], expected[name], `${name} differs from the Rust JSON`)
  }
})

it('keeps timing fields in the report and JSON.stringify round-trips it', async () => {
  const report = await checkAccount({ client: loadSnapshot(DEMO) })
  assert.match(report.generated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  assert.equal(typeof report.stats.duration_ms, 'number')
  assert.deepStrictEqual(JSON.parse(JSON.stringify(report)), report.toJSON())
  assert.deepStrictEqual(JSON.parse(report.render('json')), report.toJSON())
})
