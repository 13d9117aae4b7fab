import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parseTarget, parseUri, UriError } from '../../../src/client/uri.js';

describe('parseUri', () => {
  it("parses the seed's name-service URI, ignoring the nameless parameter", () => {
    const u = parseUri('doozer:?ca=127.0.0.1:8046&ca=127.0.0.1:8047&127.0.0.1:8048');
    expect(u.addrs).toEqual([
      { host: '127.0.0.1', port: 8046 },
      { host: '127.0.0.1', port: 8047 },
    ]);
    expect(u.sk).toBeUndefined();
    expect(u.cn).toBeUndefined();
  });

  it('parses the protocol example with a default port and a secret', () => {
    const u = parseUri('doozer:?ca=10.0.1.1:8046&ca=10.0.1.2&sk=s3cret');
    expect(u.addrs).toEqual([
      { host: '10.0.1.1', port: 8046 },
      { host: '10.0.1.2', port: 8046 },
    ]);
    expect(u.sk).toBe('s3cret');
  });

  it('takes parameters in any order, with cn, un and percent-encoding', () => {
    const u = parseUri('doozer:?un=abc&sk=a%26b%3Dc&cn=ls&ca=host.example:9046');
    expect(u).toEqual({ addrs: [{ host: 'host.example', port: 9046 }], cn: 'ls', sk: 'a&b=c', un: 'abc' });
  });

  it('ignores unknown parameters and empty parts', () => {
    expect(parseUri('doozer:?&x=1&ca=a&&').addrs).toEqual([{ host: 'a', port: 8046 }]);
    expect(parseUri('doozer:?').addrs).toEqual([]);
  });

  it('accepts IPv6 addresses in brackets', () => {
    expect(parseUri('doozer:?ca=[::1]:9000&ca=[::1]').addrs).toEqual([
      { host: '::1', port: 9000 },
      { host: '::1', port: 8046 },
    ]);
    expect(formatAddress({ host: '::1', port: 9000 })).toBe('[::1]:9000');
  });

  it('rejects URIs of other schemes with a clear message', () => {
    expect(() => parseUri('http://127.0.0.1:8046')).toThrow(UriError);
    expect(() => parseUri('http://127.0.0.1:8046')).toThrow(/not a doozer URI.*expected doozer:\?ca=/);
    expect(() => parseUri('127.0.0.1:8046')).toThrow(/not a doozer URI/);
  });

  it('rejects a doozer URI without "?" and bad ports', () => {
    expect(() => parseUri('doozer:ca=1.2.3.4')).toThrow(/must follow "doozer:\?"/);
    expect(() => parseUri('doozer:?ca=1.2.3.4:99999')).toThrow(/port must be a number/);
    expect(() => parseUri('doozer:?ca=1.2.3.4:abc')).toThrow(/port must be a number/);
    expect(() => parseUri('doozer:?ca=:8046')).toThrow(/missing host/);
  });
});

describe('parseTarget', () => {
  it('accepts bare addresses as well as URIs', () => {
    expect(parseTarget('127.0.0.1:9999').addrs).toEqual([{ host: '127.0.0.1', port: 9999 }]);
    expect(parseTarget('localhost').addrs).toEqual([{ host: 'localhost', port: 8046 }]);
    expect(parseTarget('doozer:?ca=x:1').addrs).toEqual([{ host: 'x', port: 1 }]);
    expect(() => parseTarget('tcp://x:1')).toThrow(/not a doozer URI/);
  });
  it('parseAddress reports what is wrong', () => {
    expect(() => parseAddress('')).toThrow(/empty address/);
    expect(() => parseAddress('[::1')).toThrow(/missing \]/);
  });
});

describe('host names and TLS parameters', () => {
  it('refuses hosts that are not host names or IP addresses', () => {
    for (const bad of ['?ca=127.0.0.1', 'a b', 'x/y', 'host=1', '-lead', 'a..b']) {
      expect(() => parseAddress(bad), bad).toThrow(/is not a host name or IP address/);
    }
    for (const good of ['localhost', 'db-1.example.com', '10.0.0.1', '::1', '[fe80::1%eth0]:8046', 'under_score']) {
      expect(() => parseAddress(good), good).not.toThrow();
    }
  });
  it('the seed URI with a nameless parameter still parses to two addresses', () => {
    expect(parseUri('doozer:?ca=127.0.0.1:8046&ca=127.0.0.1:8047&127.0.0.1:8048').addrs).toHaveLength(2);
  });
  it('tls=1 and tlsca=FILE (which implies tls)', () => {
    expect(parseUri('doozer:?ca=a&tls=1')).toMatchObject({ tls: true });
    expect(parseUri('doozer:?ca=a&tls=false').tls).toBe(false);
    expect(parseUri('doozer:?ca=a&tlsca=/etc/ca.pem')).toMatchObject({ tls: true, tlsca: '/etc/ca.pem' });
    expect(parseUri('doozer:?ca=a').tls).toBeUndefined();
    expect(() => parseUri('doozer:?ca=a&tls=maybe')).toThrow(/use tls=1 or tls=0/);
  });
});
