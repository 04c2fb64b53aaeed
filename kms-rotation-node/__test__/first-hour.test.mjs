// Issue 26, "the first hour", through the Node door: a tag exemption over a
// snapshot without tags, the report's source and allowOtherSource, options
// named as Node spells them, and one exemption given as a string.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { checkAccount, loadSnapshot, remediate } from '../index.js'
import { DEMO, rejectsWith } from './helpers.mjs'

const KEY_ID = '00000001-0000-4000-8000-000000000001'

function snapshotFile(name, tags) {
  const entry = {
    KeyMetadata: {
      KeyId: KEY_ID,
      Arn: `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`,
      KeyManager: 'CUSTOMER',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeySpec: 'SYMMETRIC_DEFAULT',
    },
    RotationStatus: { KeyRotationEnabled: false },
  }
  if (tags !== undefined) entry.Tags = tags
  const path = join(mkdtempSync(join(tmpdir(), 'kms-rotation-first-hour-')), name)
  writeFileSync(path, JSON.stringify({ account_id: '111122223333', regions: { 'us-east-1': { keys: [entry] } } }))
  return path
}

const EXEMPT = 'tag:rotation-exempt=true'

test('a tag exemption over a snapshot without tags is ERROR, never FAIL, and is not remediated', async () => {
  const tagged = snapshotFile('tagged.json', [{ TagKey: 'rotation-exempt', TagValue: 'true' }])
  const tagless = snapshotFile('tagless.json')
  const live = await checkAccount({ client: loadSnapshot(tagged), exemptions: EXEMPT })
  assert.deepEqual(
    live.findings.map((f) => f.status),
    ['EXEMPT'],
  )
  const offline = await checkAccount({ client: loadSnapshot(tagless), exemptions: [EXEMPT] })
  const [finding] = offline.findings
  assert.equal(finding.status, 'ERROR')
  assert.match(finding.message, /tag:rotation-exempt=true/)
  assert.match(finding.message, /ListResourceTags/)
  const plan = await remediate(offline, { client: loadSnapshot(tagless) })
  assert.deepEqual(plan.actions, [])
})

test('the report records its source, and remediate acts only there unless allowOtherSource', async () => {
  const here = snapshotFile('here.json', [])
  const elsewhere = snapshotFile('elsewhere.json', [])
  const report = await checkAccount({ client: loadSnapshot(here) })
  assert.deepEqual(report.source, { snapshot: here })
  assert.deepEqual(report.toJSON().source, { snapshot: here })
  assert.ok((await remediate(report, { client: loadSnapshot(here) })).actions.length > 0)
  const error = await rejectsWith(
    remediate(report, { client: loadSnapshot(elsewhere) }),
    'CONFIGURATION',
    /allowOtherSource/,
  )
  assert.doesNotMatch(error.message, /allow_other_source|--allow-other-source/)
  const plan = await remediate(report, { client: loadSnapshot(elsewhere), allowOtherSource: true })
  assert.ok(plan.actions.length > 0)
})

test('errors name options as Node spells them', async () => {
  const error = await rejectsWith(
    checkAccount({ client: loadSnapshot(DEMO), maxRotationPeriodDays: 30 }),
    'INVALID_INPUT',
    /invalid maxRotationPeriodDays "30"/,
  )
  assert.equal(error.argument, 'maxRotationPeriodDays')
  assert.doesNotMatch(error.message, /max_rotation_period_days|--max-rotation-period-days/)
  await rejectsWith(
    checkAccount({ client: loadSnapshot(DEMO), exemptions: 'rotation-exempt=true' }),
    'INVALID_INPUT',
    /tag:rotation-exempt=true/,
  )
})
