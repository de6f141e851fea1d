import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeerRules, parseCidr, peerAllowed } from './peer-policy.ts';

describe('device peer allowlists', () => {
  const rules = buildPeerRules([
    { address: 1001, peers: ['10.1.2.3/32'] },
    { address: 1002, peers: ['192.168.8.0/24', '2001:db8::/32'] },
    { address: 1003, peers: [] },
  ]);

  it('lets anyone speak for a device without a list', () => {
    assert.equal(peerAllowed(rules, 4242, '203.0.113.9'), true);
  });

  it('accepts listed hosts and networks, including IPv4 seen as IPv4-mapped IPv6', () => {
    assert.equal(peerAllowed(rules, 1001, '10.1.2.3'), true);
    assert.equal(peerAllowed(rules, 1001, '::ffff:10.1.2.3'), true);
    assert.equal(peerAllowed(rules, 1002, '192.168.8.77'), true);
    assert.equal(peerAllowed(rules, 1002, '2001:db8:1::5'), true);
  });

  it('refuses everyone else, and an empty list refuses everyone', () => {
    assert.equal(peerAllowed(rules, 1001, '10.1.2.4'), false);
    assert.equal(peerAllowed(rules, 1001, '127.0.0.1'), false);
    assert.equal(peerAllowed(rules, 1002, '192.168.9.1'), false);
    assert.equal(peerAllowed(rules, 1002, '2001:db9::1'), false);
    assert.equal(peerAllowed(rules, 1003, '10.1.2.3'), false);
  });

  it('explains a bad entry', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    assert.throws(() => parseCidr('10.0.0/8'), /not an IP address or network/);
    assert.throws(() => parseCidr('10.0.0.0/33'), /prefix must be 0–32/);
  });
});
