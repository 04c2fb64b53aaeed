// End to end against moto's server (the KMS emulator scripts/moto.sh starts):
// an AWS SDK for JavaScript v3 `KMS` client passed as `client`, and the
// built-in Rust client reaching the emulator through `endpointUrl`.
// Each test works in an account of its own (moto keeps accounts apart).
// Without KMS_ROTATION_MOTO_ENDPOINT these tests skip, except under CI, where they fail.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { KMS } from '@aws-sdk/client-kms'

import { checkAccount, checkKey, collect, loadSnapshot, remediate } from '../index.js'
import { assumeFreshAccount, canonical, motoEndpoint } from './helpers.mjs'

// The SDK warns that its 2027 releases need Node 22; CI runs Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const REGION = 'us-east-1'

/** An SDK v3 client for a fresh emulator account; retries left to kms-rotation. */
async function sdkClient(endpoint) {
  const account = await assumeFreshAccount(endpoint)
  const kms = new KMS({ region: REGION, endpoint, credentials: account.credentials, maxAttempts: 1 })
  return { account, kms }
}

/** Seeds the key kinds the emulator can model; returns name → [keyId, expected status, reason]. */
async function seed(kms) {
  const create = async (input = {}) => (await kms.createKey({ Description: 'kms-rotation node test', ...input })).KeyMetadata.KeyId
  const keys = {}
  const on = await create()
  await kms.enableKeyRotation({ KeyId: on, RotationPeriodInDays: 365 })
  await kms.createAlias({ AliasName: 'alias/rotation-on', TargetKeyId: on })
  keys.on = [on, 'PASS', 'rotation_enabled']
  const off = await create()
  await kms.createAlias({ AliasName: 'alias/rotation-off', TargetKeyId: off })
  keys.off = [off, 'FAIL', 'rotation_disabled']
  const disabled = await create()
  await kms.disableKey({ KeyId: disabled })
  keys.disabled = [disabled, 'FAIL', 'rotation_disabled']
  const pending = await create()
  await kms.scheduleKeyDeletion({ KeyId: pending, PendingWindowInDays: 7 })
  keys.pending = [pending, 'NOT_APPLICABLE', 'pending_deletion']
  keys.rsa = [await create({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }), 'NOT_APPLICABLE', 'unsupported_key_spec']
  keys.imported = [await create({ Origin: 'EXTERNAL' }), 'NOT_APPLICABLE', 'imported_key_material']
  keys.exempt = [await create({ Tags: [{ TagKey: 'rotation-exempt', TagValue: 'true' }] }), 'EXEMPT', 'exempted']
  return keys
}

function assertVerdicts(report, keys) {
  assert.equal(report.findings.length, Object.keys(keys).length)
  for (const [name, [keyId, status, reason]] of Object.entries(keys)) {
    const finding = report.findings.find((f) => f.key_id === keyId)
    assert.ok(finding, `no finding for ${name}`)
    assert.deepEqual([finding.status, finding.reason], [status, reason], `${name}: ${finding.message}`)
  }
}

const policy = { exemptions: ['tag:rotation-exempt=true'] }

describe('an SDK v3 KMS client against the emulator', () => {
  it('checks, remediates and re-checks an account', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { kms } = await sdkClient(endpoint)
    const keys = await seed(kms)

    const report = await checkAccount({ client: kms, ...policy })
    assert.deepEqual(report.regions, [{ region: REGION, state: 'scanned', keys_listed: 7 }])
    assertVerdicts(report, keys)
    const on = report.findings.find((f) => f.key_id === keys.on[0])
    assert.deepEqual(on.aliases, ['alias/rotation-on'])
    assert.match(on.key_arn, /^arn:aws:kms:us-east-1:\d{12}:key\//)

    const offByAlias = await checkKey('alias/rotation-off', { client: kms })
    assert.equal(offByAlias.key_id, keys.off[0])
    assert.equal(offByAlias.status, 'FAIL')

    const plan = await remediate(report, { client: kms })
    assert.equal(plan.summary.WOULD_CHANGE, 1) // rotation-off; the disabled key is skipped
    assert.equal(plan.summary.SKIPPED, 1)
    const applied = await remediate(report, { client: kms, dryRun: false })
    const changed = applied.actions.find((a) => a.outcome === 'CHANGED')
    assert.match(changed.target_arn, new RegExp(keys.off[0]))
    assert.equal(changed.verified, true)
    assert.equal((await kms.getKeyRotationStatus({ KeyId: keys.off[0] })).KeyRotationEnabled, true)
    const again = await checkAccount({ client: kms, ...policy })
    assert.equal(again.findings.find((f) => f.key_id === keys.off[0]).status, 'PASS')
  })

  it("maps the SDK's exceptions to AWS codes", async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { kms } = await sdkClient(endpoint)
    const missing = await checkKey('11111111-2222-3333-4444-555555555555', { client: kms })
    assert.equal(missing.status, 'ERROR')
    assert.equal(missing.error.code, 'NotFoundException')
    assert.equal(missing.error.operation, 'DescribeKey')
    const aliasMissing = await checkKey('alias/does-not-exist', { client: kms })
    assert.equal(aliasMissing.error.code, 'NotFoundException')
  })
})

describe('the built-in Rust client against the emulator (endpointUrl)', () => {
  it('agrees with the SDK v3 client, and collects a snapshot that agrees too', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { account, kms } = await sdkClient(endpoint)
    const keys = await seed(kms)
    const viaRust = {
      endpointUrl: endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      roleArn: account.roleArn,
      regions: [REGION],
    }
    const rustReport = await checkAccount({ ...viaRust, ...policy })
    assertVerdicts(rustReport, keys)
    const sdkReport = await checkAccount({ client: kms, ...policy })
    assert.deepEqual(canonical(rustReport).findings, canonical(sdkReport).findings)

    const { regions, ...connection } = viaRust
    const finding = await checkKey('alias/rotation-on', { ...connection, region: REGION })
    assert.equal(finding.status, 'PASS')

    const path = join(mkdtempSync(join(tmpdir(), 'kms-rotation-node-')), 'collected.json')
    const snapshot = await collect(path, { ...viaRust, ...policy })
    assert.deepEqual(snapshot.regions, [REGION])
    const offline = await checkAccount({ client: loadSnapshot(path), ...policy })
    assert.deepEqual(canonical(offline).findings, canonical(rustReport).findings)
  })

  it('remediates through endpointUrl', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { account, kms } = await sdkClient(endpoint)
    const keyId = (await kms.createKey({})).KeyMetadata.KeyId
    const connection = {
      endpointUrl: endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      roleArn: account.roleArn,
    }
    const report = await checkAccount({ ...connection, regions: [REGION] })
    assert.equal(report.findings[0].status, 'FAIL')
    const applied = await remediate(report, { ...connection, dryRun: false, rotationPeriodDays: 180 })
    assert.deepEqual(
      applied.actions.map((a) => a.outcome),
      ['CHANGED'],
    )
    assert.equal((await kms.getKeyRotationStatus({ KeyId: keyId })).KeyRotationEnabled, true)
  })
})
