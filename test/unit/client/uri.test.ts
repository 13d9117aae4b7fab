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
