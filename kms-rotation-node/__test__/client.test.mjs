// Bring-your-own client: objects shaped like the SDK v3 `KMS` client (here the
// snapshot's own fake, `snapshot.kmsClient(region)`, behind plain objects that
// record what they receive), their errors, and the checks made before any call.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { checkAccount, checkKey, loadSnapshot, remediate } from '../index.js'
import { DEMO, KEY_A, KEY_B, KEY_C, fakeAccount, recording, rejectsWith } from './helpers.mjs'

const rotating = { KeyRotationEnabled: true, RotationPeriodInDays: 365, NextRotationDate: '2027-01-01T00:00:00Z' }
const requests = (client, method) => client.calls.filter(([m]) => m === method).map(([, input]) => input)

describe('requests and responses', () => {
  it('passes the core requests through and reads SDK v3 responses (Dates, $metadata)', async () => {
    const { kms } = fakeAccount({
      keys: [
        { id: KEY_A, aliases: ['alias/app'], rotation: rotating },
        { id: KEY_B, rotation: { KeyRotationEnabled: false } },
      ],
    })
    const client = recording(kms)
    const status = client.getKeyRotationStatus
    // SDK v3 answers with Date objects and a $metadata member.
    client.getKeyRotationStatus = async (input) => {
      const answer = await status(input)
      const next = answer.NextRotationDate && new Date(answer.NextRotationDate)
      return { ...answer, NextRotationDate: next, $metadata: { httpStatusCode: 200 } }
    }
    const report = await checkAccount({ client })
    assert.deepEqual(report.regions, [{ region: 'us-east-1', state: 'scanned', keys_listed: 2 }])
    const a = report.findings.find((f) => f.key_id === KEY_A)
    assert.equal(a.status, 'PASS')
    assert.deepEqual(a.aliases, ['alias/app'])
    assert.equal(a.rotation.next_rotation_date, '2027-01-01T00:00:00Z')
    assert.equal(report.findings.find((f) => f.key_id === KEY_B).status, 'FAIL')

    assert.deepEqual(requests(client, 'listKeys'), [{ Limit: 1000 }])
    assert.deepEqual(requests(client, 'listAliases'), [{ Limit: 100 }])
    assert.deepEqual(requests(client, 'describeKey').map((r) => r.KeyId).sort(), [KEY_A, KEY_B])
    assert.equal(requests(client, 'listResourceTags').length, 0) // no tag exemption, no tag calls
  })

  it('follows every page of ListKeys, ListAliases and ListResourceTags', async () => {
    const keys = [KEY_A, KEY_B, KEY_C].map((id, i) => ({
      id,
      aliases: [`alias/k${i}`, `alias/k${i}-more`],
      tags: [
        { TagKey: 'team', TagValue: 'x' },
        { TagKey: 'exempt', TagValue: i === 2 ? 'yes' : 'no' },
      ],
      rotation: rotating,
    }))
    const { snapshot, kms } = fakeAccount({ keys })
    snapshot.setPageSize(1)
    const client = recording(kms)
    const report = await checkAccount({ client, exemptions: ['tag:exempt=yes'] })
    assert.equal(report.findings.length, 3)
    assert.deepEqual(
      report.findings.map((f) => f.aliases.length),
      [2, 2, 2],
    )
    assert.equal(report.findings.find((f) => f.key_id === KEY_C).status, 'EXEMPT')
    assert.equal(requests(client, 'listKeys').length, 3)
    assert.equal(requests(client, 'listKeys')[0].Marker, undefined)
    assert.ok(requests(client, 'listKeys').slice(1).every((r) => typeof r.Marker === 'string'))
    const tagRequests = requests(client, 'listResourceTags')
    assert.ok(tagRequests.every((r) => r.Limit === 50))
    assert.ok(tagRequests.some((r) => typeof r.Marker === 'string'))
    // The snapshot's own log agrees with what crossed the JavaScript boundary.
    assert.equal(snapshot.calls().length, client.calls.length)
  })

  it('calls enableKeyRotation with the period when remediating', async () => {
    const { kms } = fakeAccount({ keys: [{ id: KEY_A, rotation: { KeyRotationEnabled: false } }] })
    const client = recording(kms)
    const report = await checkAccount({ client })
    const applied = await remediate(report, { client, dryRun: false, rotationPeriodDays: 180 })
    assert.equal(applied.actions[0].outcome, 'CHANGED')
    assert.equal(applied.actions[0].verified, true)
    const enables = requests(client, 'enableKeyRotation')
    assert.deepEqual(enables, [{ KeyId: report.findings[0].key_arn, RotationPeriodInDays: 180 }])
  })

  it('accepts methods that answer plain values instead of promises', async () => {
    const { kms } = fakeAccount({ keys: [{ id: KEY_A, rotation: rotating }] })
    const client = recording(kms)
    const answer = await kms.describeKey({ KeyId: KEY_A })
    client.describeKey = () => answer // a synchronous method: the settled answer, returned as is
    const finding = await checkKey(KEY_A, { client })
    assert.equal(finding.status, 'PASS')
  })

  it('takes the region from config.region (string or provider) or the options', async () => {
    for (const region of ['provider', 'string']) {
      const { kms } = fakeAccount({ region: 'eu-west-1', keys: [{ id: KEY_A, rotation: rotating }] })
      const report = await checkAccount({ client: recording(kms, { region }) })
      assert.equal(report.regions[0].region, 'eu-west-1')
    }
    const { kms } = fakeAccount({ region: 'eu-west-1', keys: [{ id: KEY_A, rotation: rotating }] })
    const bare = recording(kms, { region: 'none' })
    assert.equal((await checkAccount({ client: bare, regions: ['eu-west-1'] })).findings[0].region, 'eu-west-1')
    assert.equal((await checkKey(KEY_A, { client: bare, region: 'eu-west-1' })).status, 'PASS')
    await rejectsWith(checkAccount({ client: bare }), 'CONFIGURATION', /which region/)
  })

  it('lets an ARN name its own region: the core picks the client for it', async () => {
    const snapshot = loadSnapshot(DEMO)
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/8f5c122d-0ed7-47bb-b01e-b24e96c08d61'
    const options = { client: snapshot.kmsClient('us-east-1'), region: 'us-east-1' }
    await rejectsWith(checkKey(arn, options), 'CONFIGURATION', /eu-west-1/)
    const finding = await checkKey(arn, { ...options, clientFactory: (region) => snapshot.kmsClient(region) })
    assert.equal(finding.region, 'eu-west-1')
    assert.equal(finding.status, 'FAIL')
  })
})

describe('errors from the client', () => {
  it('maps an SDK v3 exception to its AWS code, and the core retries what is retryable', async () => {
    const { snapshot, kms } = fakeAccount({
      keys: [
        { id: KEY_A, errors: { GetKeyRotationStatus: { Code: 'AccessDeniedException', Message: 'not for you' } } },
        { id: KEY_B, errors: { DescribeKey: { Code: 'KMSInternalException', Message: 'try again' } } },
      ],
    })
    const report = await checkAccount({ client: kms })
    const a = report.findings.find((f) => f.key_id === KEY_A)
    assert.equal(a.status, 'ERROR')
    assert.deepEqual(a.error, { code: 'AccessDeniedException', message: 'not for you', operation: 'GetKeyRotationStatus' })
    // KMSInternalException is retryable: the core retried it (the binding never retries).
    const b = report.findings.find((f) => f.key_id === KEY_B)
    assert.equal(b.error.code, 'KMSInternalException')
    assert.ok(report.stats.retries > 0)
    const describes = snapshot.calls().filter((c) => c.operation === 'DescribeKey' && c.key === KEY_B)
    assert.equal(describes.length, report.stats.retries + 1)
  })

  it('retries throttling in the core, then succeeds', async () => {
    const throttled = { GetKeyRotationStatus: { Code: 'ThrottlingException', Message: 'Rate exceeded', Times: 1 } }
    const { kms } = fakeAccount({ keys: [{ id: KEY_A, rotation: rotating, errors: throttled }] })
    const report = await checkAccount({ client: kms })
    assert.equal(report.findings[0].status, 'PASS')
    assert.equal(report.stats.throttled, 1)
    assert.equal(report.stats.retries, 1)
  })

  it('maps a synchronous throw, a network error and a non-Error rejection', async () => {
    const { kms } = fakeAccount({ keys: [{ id: KEY_A }, { id: KEY_B }, { id: KEY_C }] })
    const client = recording(kms)
    client.getKeyRotationStatus = (input) => {
      if (input.KeyId.endsWith(KEY_A)) {
        throw Object.assign(new Error('thrown'), { name: 'NotFoundException', $fault: 'client' })
      }
      if (input.KeyId.endsWith(KEY_B)) {
        // What SDK v3 rejects with when the endpoint refuses: no $fault, no status.
        const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
        return Promise.reject(Object.assign(error, { $metadata: { attempts: 1 } }))
      }
      return Promise.reject('just a string')
    }
    const report = await checkAccount({ client })
    const error = (id) => report.findings.find((f) => f.key_id === id).error
    assert.deepEqual([error(KEY_A).code, error(KEY_A).message], ['NotFoundException', 'thrown'])
    assert.equal(error(KEY_B).code, 'Error')
    assert.match(error(KEY_B).message, /ECONNREFUSED/)
    assert.ok(report.stats.retries > 0, 'a refused connection is retried')
    assert.equal(error(KEY_C).code, 'Error')
    assert.match(error(KEY_C).message, /just a string/)
  })

  it('reports a response that is not the KMS shape as MalformedResponse', async () => {
    const { kms } = fakeAccount({ keys: [{ id: KEY_A }] })
    const client = recording(kms)
    client.describeKey = async () => ({ KeyMetadata: { KeyId: KEY_A } })
    const finding = (await checkAccount({ client })).findings[0]
    assert.equal(finding.status, 'ERROR')
    assert.equal(finding.error.code, 'MalformedResponse')
  })
})

describe('checks before any call', () => {
  it('names a missing method, and needs only the methods the call uses', async () => {
    const { snapshot, kms } = fakeAccount({ keys: [{ id: KEY_A }] })
    const readOnly = recording(kms, { omit: ['enableKeyRotation', 'listResourceTags'] })
    const report = await checkAccount({ client: readOnly }) // fine without them
    await remediate(report, { client: readOnly }) // a dry run needs no enableKeyRotation
    const calls = snapshot.calls().length
    await rejectsWith(remediate(report, { client: readOnly, dryRun: false }), 'INVALID_INPUT', /enableKeyRotation/)
    await rejectsWith(checkAccount({ client: readOnly, exemptions: ['tag:a=b'] }), 'INVALID_INPUT', /listResourceTags/)
    assert.equal(snapshot.calls().length, calls)

    const bare = recording(kms, { omit: ['listKeys'] })
    const error = await rejectsWith(checkAccount({ client: bare }), 'INVALID_INPUT', /listKeys/)
    assert.equal(error.argument, 'client')
    await rejectsWith(checkAccount({ client: { listKeys: 42 } }), 'INVALID_INPUT', /listKeys is not a function/)
  })

  it('rejects bad input before calling the client', async () => {
    const { snapshot, kms: client } = fakeAccount({ keys: [{ id: KEY_A }] })
    const cases = [
      [() => checkKey('not a key', { client }), /not a key/],
      [() => checkKey(42, { client }), /key must be a string/],
      [() => checkKey(KEY_A, { client, region: 'Mars' }), /Mars/],
      [() => checkAccount({ client, maxRotationPeriodDays: 89 }), /maxRotationPeriodDays "89".*90 to 2560/],
      [() => checkAccount({ client, maxRotationPeriodDays: 365.5 }), /whole number/],
      [() => checkAccount({ client, maxRotationPeriodDays: 'yearly' }), /maxRotationPeriodDays/],
      [() => checkAccount({ client, maxInFlight: -1 }), /maxInFlight/],
      [() => checkAccount({ client, exemptions: ['tag:=x'] }), /exemption/],
      [() => checkAccount({ client, regions: [] }), /at least one region/],
      [() => checkAccount({ client, regions: ['us-east-1', 'not a region'] }), /not a region/],
      [() => checkAccount({ client, regions: 'everywhere' }), /everywhere/],
      [() => checkAccount({ client, regions: 'all' }), /regions "all"/],
      [() => checkAccount({ client, maxRequestsPerSecond: 0 }), /positive/],
      [() => checkAccount({ client, maxRotationDays: 180 }), /unknown option "maxRotationDays"/],
      [() => checkAccount({ client, dryRun: false }), /unknown option "dryRun"/],
      [() => checkAccount({ client, region: 'us-east-1' }), /unknown option "region"/],
      [() => checkAccount('us-east-1'), /options must be an object/],
      [() => checkAccount({ client: 'kms' }), /client must be/],
      [() => checkAccount({ client, profile: 'audit' }), /profile/],
      [() => checkAccount({ endpointUrl: 'localhost:4566' }), /endpointUrl.*http/],
      [() => checkAccount({ roleArn: 'arn:aws:iam::1:role/x' }), /roleArn/],
      // Every option named as Node spells it (issue 26): roleArn, not role_arn.
      [() => checkAccount({ externalId: 'x-1' }), /externalId.*roleArn/],
      [() => checkAccount({ sessionName: 's-1' }), /sessionName.*roleArn/],
      [() => remediate({ not: 'a report' }, { client }), /report/],
      [() => remediate('{', { client }), /report/],
      [() => remediate(null, { client }), /report must be/],
    ]
    for (const [call, pattern] of cases) {
      await rejectsWith(call(), 'INVALID_INPUT', pattern)
    }
    const demo = loadSnapshot(DEMO)
    const report = await checkAccount({ client: demo })
    demo.clearCalls()
    await rejectsWith(remediate(report, { client, rotationPeriodDays: 2561 }), 'INVALID_INPUT', /rotationPeriodDays/)
    const error = await rejectsWith(
      remediate(report, { client: demo, rotationPeriodDays: 400 }),
      'INVALID_INPUT',
      /policy maximum of 365/,
    )
    assert.equal(error.argument, 'rotationPeriodDays')
    assert.deepEqual(demo.calls(), [])
    await rejectsWith(remediate(report, { client, dryrun: false }), 'INVALID_INPUT', /unknown option "dryrun"/)
    await rejectsWith(remediate(report, { client, maxInFlight: 4 }), 'INVALID_INPUT', /unknown option "maxInFlight"/)
    assert.deepEqual(snapshot.calls(), [])
  })

  it('names what a clientFactory got wrong', async () => {
    const { kms } = fakeAccount({ keys: [{ id: KEY_A }] })
    await rejectsWith(
      checkAccount({ regions: ['us-east-1'], clientFactory: () => recording(kms, { omit: ['describeKey'] }) }),
      'INVALID_INPUT',
      /describeKey/,
    )
    await rejectsWith(
      checkAccount({
        regions: ['us-east-1'],
        clientFactory: () => {
          throw new Error('no credentials for that region')
        },
      }),
      'CONFIGURATION',
      /clientFactory\("us-east-1"\).*no credentials for that region/,
    )
    await rejectsWith(
      checkAccount({ regions: ['us-east-1'], clientFactory: () => 'nope' }),
      'CONFIGURATION',
      /client must be/,
    )
  })

  it('says which region has no client', async () => {
    await rejectsWith(
      checkAccount({ client: loadSnapshot(DEMO), regions: ['ap-south-1'] }),
      'CONFIGURATION',
      /ap-south-1/,
    )
  })
})
