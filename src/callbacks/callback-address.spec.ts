import type { LookupAddress } from 'node:dns';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import {
  callbackUrlProblem,
  checkCallbackUrl,
  forbiddenAddressReason,
  forbiddenHostnameReason,
  guardedLookup,
  type LookupAll,
} from './callback-address';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], // carrier-grade NAT
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['64:ff9b:1::a', 'private'], // local-use NAT64
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'], // Teredo: its IPv4 inside is obfuscated
    ['fec0::1', 'reserved'],
    ['not an address', 'reserved'],
  ])('refuses %s as %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    // IPv4-mapped, written both ways
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    // IPv4-compatible (deprecated, still parsed)
    ['::127.0.0.1', 'loopback'],
    ['::a9fe:a9fe', 'metadata'],
    // NAT64 with a private address inside
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    // 6to4 embedding a private address
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
  ])('sees the IPv4 address inside %s (%s)', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '11.0.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 to a public address
    '2002:808:808::1', // 6to4 of a public address
  ])('allows the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });
});

describe('forbiddenHostnameReason', () => {
  it.each([
    ['localhost', 'loopback'],
    ['localhost.', 'loopback'],
    ['api.localhost', 'loopback'],
    ['metadata.google.internal', 'metadata'],
    ['metadata.goog', 'metadata'],
    ['metadata', 'metadata'],
    ['instance-data', 'metadata'],
    ['db.corp.internal', 'private'],
  ])('refuses %s as %s', (hostname, reason) => {
    expect(forbiddenHostnameReason(hostname)).toBe(reason);
  });

  it.each(['example.com', 'localhost.example.com', 'internal.example.com', 'mymetadata.io'])(
    'allows %s',
    (hostname) => {
      expect(forbiddenHostnameReason(hostname)).toBeNull();
    },
  );
});

describe('callbackUrlProblem', () => {
  const strict = { allowPrivate: false };

  it.each([
    ['http://2130706433/', 'decimal'],
    ['http://0x7f.1/', 'hexadecimal'],
    ['http://017700000001/', 'octal'],
    ['http://0177.0.0.1/', 'octal dotted'],
    ['http://127.1/', 'short dotted'],
    ['http://%31%32%37.0.0.1/', 'percent-encoded'],
    ['http://１２７.0.0.1/', 'full-width digits'],
    ['http://127.0.0.1./', 'trailing dot'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped, dotted'],
    ['http://[::ffff:7f00:1]/', 'IPv4-mapped, hex'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'IPv4-mapped, uncompressed'],
    ['http://[::1]:8080/', 'IPv6 loopback'],
    ['http://LOCALHOST:3000/hook', 'upper case name'],
    ['http://localhost./', 'name with a trailing dot'],
  ])('refuses loopback written as %s (%s)', (url) => {
    expect(callbackUrlProblem(url, strict)).toMatch(/^must not point to a loopback address/);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata/],
    ['http://0/', /unspecified/],
    ['http://10.0.0.5:8080/', /private-network/],
    ['https://[fd00::5]/', /private-network/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[64:ff9b::a00:1]/', /private-network/],
  ])('refuses %s', (url, reason) => {
    expect(callbackUrlProblem(url, strict)).toMatch(reason);
  });

  const long = (length: number) => `https://example.com/${'a'.repeat(length - 'https://example.com/'.length)}`;

  it.each([
    ['ftp://example.com/', 'must be an http or https URL'],
    ['file:///etc/passwd', 'must be an http or https URL'],
    ['javascript:alert(1)', 'must be an http or https URL'],
    ['example.com/hook', 'is not a valid absolute URL'],
    ['http://', 'is not a valid absolute URL'],
    ['https://user:pass@example.com/', 'must not contain a user name or password'],
    ['https://token@example.com/', 'must not contain a user name or password'],
    ['a URL of 2,049 characters', 'must be at most 2048 characters; it has 2049'],
  ])('refuses %s: %s', (url, problem) => {
    const value = url.startsWith('a URL') ? long(2_049) : url;
    expect(callbackUrlProblem(value, strict)).toBe(problem);
    expect(callbackUrlProblem(value, { allowPrivate: true })).toBe(problem);
  });

  it.each([
    'https://example.com/hooks/messages?x=1',
    'http://hooks.example.com:8080/',
    'https://[2606:4700::1111]/',
    'a URL of 2,048 characters',
  ])('accepts %s', (url) => {
    expect(callbackUrlProblem(url.startsWith('a URL') ? long(2_048) : url, strict)).toBeNull();
  });

  it('accepts private and loopback receivers when allowed', () => {
    for (const url of ['http://127.0.0.1:3000/', 'http://localhost/', 'http://169.254.169.254/', 'http://[::1]/']) {
      expect(callbackUrlProblem(url, { allowPrivate: true })).toBeNull();
    }
  });
});

describe('checkCallbackUrl', () => {
  /** Stand-in DNS from a table; names not in it do not resolve. */
  function resolver(table: Record<string, string[]>): LookupAll & { asked: string[] } {
    const asked: string[] = [];
    const lookup: LookupAll = (hostname, _options, callback) => {
      asked.push(hostname);
      const addresses = table[hostname];
      if (!addresses)
        return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(
        null,
        addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    };
    return Object.assign(lookup, { asked });
  }

  const dns = resolver({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'internal.example.com': ['10.1.2.3'],
    'mixed.example.com': ['93.184.216.34', '192.168.0.10'],
    'rebind.example.com': ['127.0.0.1'],
    'v6only.example.com': ['fd00::7'],
  });

  it('accepts a host whose every address is public', async () => {
    await expect(
      checkCallbackUrl('https://hooks.example.com/in', { allowPrivate: false, lookup: dns }),
    ).resolves.toBeNull();
  });

  it.each([
    ['https://internal.example.com/', /private-network address: its host resolves to one/],
    ['https://mixed.example.com/', /private-network address: its host resolves to one/],
    ['https://rebind.example.com/', /loopback address: its host resolves to one/],
    ['https://v6only.example.com/', /private-network address/],
  ])('refuses %s, whose host resolves to a forbidden address', async (url, problem) => {
    await expect(checkCallbackUrl(url, { allowPrivate: false, lookup: dns })).resolves.toMatch(problem);
  });

  it('does not reveal which address the host resolved to', async () => {
    const problem = await checkCallbackUrl('https://internal.example.com/', { allowPrivate: false, lookup: dns });
    expect(problem).not.toContain('10.1.2.3');
  });

  it('accepts a host that does not resolve yet: delivery checks again', async () => {
    await expect(
      checkCallbackUrl('https://not-yet.example.com/', { allowPrivate: false, lookup: dns }),
    ).resolves.toBeNull();
  });

  it('accepts a host whose resolution takes too long, without waiting for it', async () => {
    const never: LookupAll = () => {};
    const started = Date.now();
    await expect(
      checkCallbackUrl('https://slow.example.com/', { allowPrivate: false, lookup: never, resolveTimeoutMs: 50 }),
    ).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses literal and reserved-name hosts without asking DNS', async () => {
    const asked = resolver({});
    await expect(checkCallbackUrl('http://0x7f.1/', { allowPrivate: false, lookup: asked })).resolves.toMatch(
      /loopback/,
    );
    await expect(
      checkCallbackUrl('http://metadata.google.internal/', { allowPrivate: false, lookup: asked }),
    ).resolves.toMatch(/metadata/);
    await expect(checkCallbackUrl('http://8.8.8.8/', { allowPrivate: false, lookup: asked })).resolves.toBeNull();
    expect(asked.asked).toEqual([]);
  });

  it('with private networks allowed, accepts any host and asks no DNS', async () => {
    const asked = resolver({ 'internal.example.com': ['10.1.2.3'] });
    await expect(
      checkCallbackUrl('https://internal.example.com/', { allowPrivate: true, lookup: asked }),
    ).resolves.toBeNull();
    expect(asked.asked).toEqual([]);
  });

  it('still refuses what is wrong on its face with private networks allowed', async () => {
    await expect(checkCallbackUrl('ftp://example.com/', { allowPrivate: true })).resolves.toBe(
      'must be an http or https URL',
    );
  });

  it('uses the system resolver by default; a name it cannot resolve is accepted', async () => {
    await expect(checkCallbackUrl('http://hooks.example.invalid/', { allowPrivate: false })).resolves.toBeNull();
  });
});

describe('guardedLookup', () => {
  function table(addresses: string[]): LookupAll {
    return (_hostname, _options, callback) =>
      setImmediate(() =>
        callback(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        ),
      );
  }

  function lookupWith(
    lookupAll: LookupAll,
    hostname: string,
    all: boolean,
  ): Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }> {
    return new Promise((resolve) =>
      guardedLookup(lookupAll)(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
    );
  }

  it('passes public addresses through, in the form the socket asked for', async () => {
    const public2 = table(['93.184.216.34', '2606:2800:220:1::1']);
    await expect(lookupWith(public2, 'hooks.example.com', true)).resolves.toMatchObject({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    });
    await expect(lookupWith(public2, 'hooks.example.com', false)).resolves.toMatchObject({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it.each([
    [['127.0.0.1'], 'loopback'],
    [['93.184.216.34', '10.0.0.8'], 'private'],
    [['::ffff:169.254.169.254'], 'metadata'],
  ])('refuses the connection when the name resolves to %j', async (addresses, reason) => {
    const { error } = await lookupWith(table(addresses), 'rebind.example.com', false);
    expect(error).toMatchObject({ code: 'ERR_CALLBACK_FORBIDDEN_ADDRESS', reason });
  });

  it('with private networks allowed, only resolves', async () => {
    const loopback = table(['127.0.0.1']);
    const resolved = await new Promise((resolve) =>
      guardedLookup(loopback, { allowPrivate: true })('localhost', { all: false }, (error, address) =>
        resolve({ error, address }),
      ),
    );
    expect(resolved).toEqual({ error: null, address: '127.0.0.1' });
  });

  it('passes resolution errors on unchanged', async () => {
    const failing: LookupAll = (_hostname, _options, callback) =>
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }), []);
    await expect(lookupWith(failing, 'nowhere.invalid', true)).resolves.toMatchObject({ error: { code: 'ENOTFOUND' } });
  });

  describe('as the lookup of a real socket', () => {
    let server: Server;
    let connections = 0;

    beforeAll(async () => {
      server = createServer((socket) => {
        connections++;
        socket.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('keeps a name that resolves to loopback from connecting at all', async () => {
      const { port } = server.address() as AddressInfo;
      const error = await new Promise<Error>((resolve, reject) => {
        const socket = connect({ host: 'localhost', port, lookup: guardedLookup() });
        socket.on('connect', () => reject(new Error('connected')));
        socket.on('error', resolve);
      });
      expect(error).toMatchObject({ code: 'ERR_CALLBACK_FORBIDDEN_ADDRESS', reason: 'loopback' });
      expect(connections).toBe(0);
    });
  });
});
