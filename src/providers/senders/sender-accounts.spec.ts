import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  accountFor,
  accountNamed,
  accountsOfUnknownClients,
  parseSenderAccounts,
  readSenderAccounts,
  type SenderAccount,
  senderSecrets,
} from './sender-accounts';

const TELEGRAM_TOKEN = '123456:AAEsecret-telegram-token_xyz';
const WHATSAPP_TOKEN = 'EAAGsecretWhatsAppToken+/=0123456789';
const VIBER_TOKEN = '4453b6ac1234567f-secret-viber-token';

/** The contract, word for word but for the tokens. */
const CONTRACT = [
  {
    client: 'billing',
    provider: 'telegram',
    name: 'billing-bot',
    token: TELEGRAM_TOKEN,
    base_url: 'https://api.telegram.org',
  },
  {
    client: 'billing',
    provider: 'whatsapp',
    name: 'billing-wa',
    phone_number_id: '106540352242922',
    token: WHATSAPP_TOKEN,
    base_url: 'https://graph.facebook.com/v21.0',
    rate_per_second: 80,
  },
  {
    client: '*',
    provider: 'viber',
    name: 'shop',
    token: VIBER_TOKEN,
    sender_name: 'Shop',
    base_url: 'https://chatapi.viber.com',
  },
];

const telegram = (overrides: Record<string, unknown> = {}) => ({
  client: 'billing',
  provider: 'telegram',
  name: 'billing-bot',
  token: TELEGRAM_TOKEN,
  ...overrides,
});
const whatsapp = (overrides: Record<string, unknown> = {}) => ({
  client: 'billing',
  provider: 'whatsapp',
  name: 'billing-wa',
  phone_number_id: '106540352242922',
  token: WHATSAPP_TOKEN,
  ...overrides,
});
const viber = (overrides: Record<string, unknown> = {}) => ({
  client: '*',
  provider: 'viber',
  name: 'shop',
  token: VIBER_TOKEN,
  sender_name: 'Shop',
  ...overrides,
});

const parse = (list: unknown) => parseSenderAccounts(JSON.stringify(list));
/** The problems of a list of one entry. */
const problemsOf = (entry: unknown) => parse([entry]).problems;

describe('parseSenderAccounts', () => {
  it('reads the contract: one account per entry, its credentials by messenger', () => {
    expect(parse(CONTRACT)).toStrictEqual({
      accounts: [
        {
          client: 'billing',
          provider: 'telegram',
          name: 'billing-bot',
          baseUrl: 'https://api.telegram.org',
          ratePerSecond: undefined,
          credentials: { token: TELEGRAM_TOKEN },
        },
        {
          client: 'billing',
          provider: 'whatsapp',
          name: 'billing-wa',
          baseUrl: 'https://graph.facebook.com/v21.0',
          ratePerSecond: 80,
          credentials: { phone_number_id: '106540352242922', token: WHATSAPP_TOKEN },
        },
        {
          client: '*',
          provider: 'viber',
          name: 'shop',
          baseUrl: 'https://chatapi.viber.com',
          ratePerSecond: undefined,
          credentials: { token: VIBER_TOKEN, sender_name: 'Shop' },
        },
      ],
      problems: [],
      warnings: [],
    });
  });

  it.each([
    ['telegram', telegram(), 'https://api.telegram.org'],
    ['whatsapp', whatsapp(), 'https://graph.facebook.com/v26.0'],
    ['viber', viber(), 'https://chatapi.viber.com'],
  ])('gives a %s account without base_url the public API root', (_provider, entry, baseUrl) => {
    expect(parse([entry]).accounts.map((account) => account.baseUrl)).toStrictEqual([baseUrl]);
  });

  it('keeps base_url without its trailing slash, so paths join it with one', () => {
    expect(parse([whatsapp({ base_url: 'http://127.0.0.1:3000/v21.0/' })]).accounts[0].baseUrl).toBe(
      'http://127.0.0.1:3000/v21.0',
    );
    expect(parse([telegram({ base_url: 'http://localhost:3000/' })]).accounts[0].baseUrl).toBe('http://localhost:3000');
  });

  it('reads an empty list as no accounts, and a file with a byte order mark', () => {
    expect(parseSenderAccounts('[]')).toStrictEqual({ accounts: [], problems: [], warnings: [] });
    expect(parseSenderAccounts(`\uFEFF${JSON.stringify([telegram()])}`).accounts).toHaveLength(1);
  });

  describe('refuses, saying why', () => {
    it.each([
      ['', 'the sender list is empty: write [] for no sender accounts'],
      [' \n', 'the sender list is empty: write [] for no sender accounts'],
      ['{"client":"billing"}', 'the sender list must be a JSON array of accounts'],
      ['[{"client":"billing",}]', 'the sender list is not valid JSON (line 1, column 22)'],
      ['[\n  {"client": "billing"\n  "name": "x"}\n]', 'the sender list is not valid JSON (line 3, column 3)'],
    ])('the list %p', (text, problem) => {
      expect(parseSenderAccounts(text)).toStrictEqual({ accounts: [], problems: [problem], warnings: [] });
    });

    it.each([null, 'telegram', 42, []])('an entry that is not an object (%p)', (entry) => {
      expect(parse([telegram(), entry])).toMatchObject({
        accounts: [expect.objectContaining({ name: 'billing-bot' })],
        problems: ['entry 2 must be a JSON object'],
      });
    });

    it.each([
      ['telegram', 'token', telegram({ token: undefined })],
      ['whatsapp', 'token', whatsapp({ token: undefined })],
      ['whatsapp', 'phone_number_id', whatsapp({ phone_number_id: undefined })],
      ['viber', 'token', viber({ token: undefined })],
      ['viber', 'sender_name', viber({ sender_name: undefined })],
      ['telegram', 'client', telegram({ client: undefined })],
      ['whatsapp', 'name', whatsapp({ name: undefined })],
    ])('a %s account without its %s', (_provider, field, entry) => {
      expect(parse([entry])).toStrictEqual({
        accounts: [],
        problems: [expect.stringMatching(new RegExp(`^entry 1.*: ${field} is missing$`))],
        warnings: [],
      });
    });

    it('an account without a provider, or of a messenger we do not deliver to', () => {
      expect(problemsOf(telegram({ provider: undefined }))).toStrictEqual([
        'entry 1 ("billing-bot"): provider is missing',
      ]);
      expect(problemsOf(telegram({ provider: 'signal' }))).toStrictEqual([
        'entry 1 ("billing-bot"): provider must be one of telegram, whatsapp, viber',
      ]);
    });

    it.each([
      ['token', telegram({ token: 123456 })],
      ['client', telegram({ client: ['billing'] })],
      ['name', telegram({ name: 7 })],
      ['provider', telegram({ provider: true })],
      ['sender_name', viber({ sender_name: { name: 'Shop' } })],
      ['base_url', telegram({ base_url: 42 })],
    ])('%s of another type than a string', (field, entry) => {
      expect(problemsOf(entry)).toStrictEqual([
        expect.stringMatching(new RegExp(`^entry 1.*: ${field} must be a string$`)),
      ]);
    });

    it('a phone_number_id given as a number, which past 2^53 would lose digits, or that is a phone number', () => {
      for (const phoneNumberId of [106540352242922, '+15551234567', '', '1065-4035']) {
        expect(problemsOf(whatsapp({ phone_number_id: phoneNumberId }))).toStrictEqual([
          expect.stringMatching(/^entry 1 \("billing-wa"\): phone_number_id must be/),
        ]);
      }
    });

    it('a Viber sender_name over 28 characters, or blank (emoji count as one)', () => {
      expect(problemsOf(viber({ sender_name: 'S'.repeat(28) }))).toStrictEqual([]);
      expect(problemsOf(viber({ sender_name: '😀'.repeat(28) }))).toStrictEqual([]);
      for (const name of ['S'.repeat(29), '', '   ']) {
        expect(problemsOf(viber({ sender_name: name }))).toStrictEqual([
          'entry 1 ("shop"): sender_name must be 1-28 characters, not all spaces',
        ]);
      }
    });

    it('a token too short to be one, or that a header or (Telegram) a URL path would mangle', () => {
      expect(problemsOf(telegram({ token: 'short' }))).toStrictEqual([
        'entry 1 ("billing-bot"): token must be 16-4096 characters',
      ]);
      expect(problemsOf(viber({ token: 'x'.repeat(4097) }))).toStrictEqual([
        'entry 1 ("shop"): token must be 16-4096 characters',
      ]);
      expect(problemsOf(viber({ token: 'has a space in it, sixteen+' }))).toStrictEqual([
        'entry 1 ("shop"): token must be printable ASCII without spaces',
      ]);
      expect(problemsOf(telegram({ token: '123456:AAE/../other-path' }))).toStrictEqual([
        expect.stringMatching(
          /^entry 1 \("billing-bot"\): token must be letters, digits and .* \(it goes in the URL path\)$/,
        ),
      ]);
      // What WhatsApp's header takes is not what Telegram's path does.
      expect(problemsOf(whatsapp({ token: 'EAAG+/=secret-with-slash' }))).toStrictEqual([]);
    });

    it.each([
      [
        'not a name',
        'client must be an API key name (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit) or "*" for every client',
      ],
      ['-billing', 'client must be an API key name'],
      ['b'.repeat(65), 'client must be an API key name'],
      ['**', 'client must be an API key name'],
    ])('the client %p, not shaped like an API key name', (client, problem) => {
      expect(problemsOf(telegram({ client }))).toStrictEqual([
        expect.stringContaining(`entry 1 ("billing-bot"): ${problem}`),
      ]);
    });

    it('a name not shaped like one, and then names the entry by position only', () => {
      expect(problemsOf(telegram({ name: 'billing bot' }))).toStrictEqual([
        'entry 1: name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      ]);
    });

    it.each([0, -5, 1001, '80', null])('rate_per_second %p', (rate) => {
      expect(problemsOf(whatsapp({ rate_per_second: rate }))).toStrictEqual([
        'entry 1 ("billing-wa"): rate_per_second must be a number above 0, at most 1000',
      ]);
    });

    it('unknown fields, naming them and the fields the messenger has', () => {
      expect(problemsOf(telegram({ sender_name: 'Bot', avatar: 'x' }))).toStrictEqual([
        'entry 1 ("billing-bot"): unknown field(s) "sender_name", "avatar"; a telegram account has client, provider, name, base_url, rate_per_second, token',
      ]);
    });

    it.each([
      ['ftp://api.telegram.org', 'base_url must be an http or https URL'],
      ['api.telegram.org', 'base_url must be an absolute http(s) URL'],
      ['/bot', 'base_url must be an absolute http(s) URL'],
      ['https://user:pass@api.telegram.org', 'base_url must not hold credentials (user:password@)'],
      ['https://api.telegram.org?x=1', 'base_url must not have a query or a fragment'],
      ['https://api.telegram.org/?', 'base_url must not have a query or a fragment'],
      ['https://api.telegram.org#top', 'base_url must not have a query or a fragment'],
      [
        `https://api.telegram.org/bot${TELEGRAM_TOKEN}`,
        'base_url holds a token: give the API root, and the token in "token"',
      ],
    ])('the base_url %p', (baseUrl, problem) => {
      expect(parse([telegram({ base_url: baseUrl })])).toStrictEqual({
        accounts: [],
        problems: [`entry 1 ("billing-bot"): ${problem}`],
        warnings: [],
      });
    });

    it('two entries with one name: the name is what a message records as its sender', () => {
      expect(parse([telegram({ name: 'main' }), viber({ name: 'main' })]).problems).toStrictEqual([
        'entry 1 ("main") and entry 2 ("main") have the same name: each account needs its own',
      ]);
    });

    it("two accounts of one client on one messenger, or two '*' ones", () => {
      expect(parse([telegram(), telegram({ name: 'billing-bot-2' })]).problems).toStrictEqual([
        'entry 1 ("billing-bot") and entry 2 ("billing-bot-2") are both client "billing"\'s telegram account: a client has one per messenger',
      ]);
      expect(parse([viber(), viber({ name: 'shop-2' })]).problems).toStrictEqual([
        'entry 1 ("shop") and entry 2 ("shop-2") are both every client\'s (*) viber account: a client has one per messenger',
      ]);
    });

    it("a name, client or sender_name that is one of the list's tokens: those are shown", () => {
      expect(parse([telegram({ name: VIBER_TOKEN }), viber()]).problems).toStrictEqual([
        'entry 1 ("[REDACTED]"): name is a token of this list',
      ]);
      expect(
        parse([viber({ sender_name: WHATSAPP_TOKEN.slice(0, 28) }), whatsapp({ token: WHATSAPP_TOKEN.slice(0, 28) })])
          .problems,
      ).toStrictEqual(['entry 1 ("shop"): sender_name is a token of this list']);
    });

    it('reports every problem of every entry, each naming its entry', () => {
      const { accounts, problems } = parse([
        telegram(),
        whatsapp({ token: undefined, rate_per_second: 0 }),
        viber({ sender_name: '' }),
      ]);
      expect(accounts.map((account) => account.name)).toStrictEqual(['billing-bot']);
      expect(problems).toStrictEqual([
        'entry 2 ("billing-wa"): token is missing',
        'entry 2 ("billing-wa"): rate_per_second must be a number above 0, at most 1000',
        'entry 3 ("shop"): sender_name must be 1-28 characters, not all spaces',
      ]);
    });
  });

  it('takes one account per client and messenger, a "*" one beside them, and names shared by no two', () => {
    const list = [
      telegram(),
      telegram({ client: 'shop', name: 'shop-bot' }),
      telegram({ client: '*', name: 'any-bot' }),
      whatsapp(),
      viber(),
    ];
    expect(parse(list)).toMatchObject({ problems: [], warnings: [] });
    expect(parse(list).accounts).toHaveLength(5);
  });

  it('takes plain http to a loopback host quietly (the emulator server), and warns of it elsewhere', () => {
    for (const host of ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000', '127.1.2.3']) {
      expect(parse([telegram({ base_url: `http://${host}` })])).toMatchObject({ problems: [], warnings: [] });
    }
    const { accounts, problems, warnings } = parse([telegram({ base_url: 'http://emulators:3000' })]);
    expect(accounts).toHaveLength(1);
    expect(problems).toStrictEqual([]);
    expect(warnings).toStrictEqual([
      'entry 1 ("billing-bot"): base_url is plain http to emulators:3000: the token crosses the network unencrypted (fine for an emulator server on a private network only)',
    ]);
  });

  describe('never shows a token', () => {
    const tokens = [TELEGRAM_TOKEN, WHATSAPP_TOKEN, VIBER_TOKEN];
    const leaks = (lines: readonly string[]) => lines.filter((line) => tokens.some((token) => line.includes(token)));

    it.each([
      ['a token in a messenger that has none of that kind', [telegram({ client: '*', provider: 'signal' })]],
      ['a token where the name goes', [telegram({ name: VIBER_TOKEN }), viber()]],
      ['a token as a field name', [{ ...telegram(), [WHATSAPP_TOKEN]: true }]],
      [
        'a token inside base_url',
        [
          telegram({ base_url: `https://api.telegram.org/bot${TELEGRAM_TOKEN}/` }),
          viber({ base_url: `http://${VIBER_TOKEN}.example/` }),
        ],
      ],
      [
        'a token where the client goes',
        [whatsapp({ client: WHATSAPP_TOKEN.slice(0, 20) }), whatsapp({ name: 'x', client: WHATSAPP_TOKEN })],
      ],
      ['a Telegram token with a slash', [telegram({ token: `${TELEGRAM_TOKEN}/x` })]],
      [
        'tokens in clashing entries',
        [telegram({ name: TELEGRAM_TOKEN.replace(':', '') }), telegram({ name: TELEGRAM_TOKEN.replace(':', '') })],
      ],
    ])('in a problem or a warning: %s', (_case, list) => {
      const { problems, warnings } = parse(list);
      expect(problems.length + warnings.length).toBeGreaterThan(0);
      expect(leaks([...problems, ...warnings])).toStrictEqual([]);
    });

    it.each([
      `[{"client":"billing","provider":"telegram","token":"${TELEGRAM_TOKEN}" "name":"x"}]`,
      `token: ${TELEGRAM_TOKEN}`,
      `${TELEGRAM_TOKEN}`,
      `[{"token": ${TELEGRAM_TOKEN}}]`,
      `[{'token': '${TELEGRAM_TOKEN}'}]`,
    ])('in saying that %p is not JSON', (text) => {
      const { problems } = parseSenderAccounts(text);
      expect(problems).toStrictEqual([expect.stringMatching(/^the sender list is not valid JSON/)]);
      expect(leaks(problems)).toStrictEqual([]);
    });
  });
});

describe('accountFor', () => {
  const { accounts } = parse([
    telegram({ client: 'billing', name: 'billing-bot' }),
    telegram({ client: '*', name: 'any-bot' }),
    whatsapp({ client: 'shop', name: 'shop-wa' }),
  ]);

  it("gives a client's own account over the '*' one", () => {
    expect(accountFor(accounts, 'billing', 'telegram')?.name).toBe('billing-bot');
  });

  it("gives the '*' account to a client without its own", () => {
    expect(accountFor(accounts, 'shop', 'telegram')?.name).toBe('any-bot');
  });

  it('gives none where neither exists: the message goes to the emulator', () => {
    expect(accountFor(accounts, 'billing', 'whatsapp')).toBeUndefined();
    expect(accountFor(accounts, 'shop', 'viber')).toBeUndefined();
  });

  it("gives an account of the messenger asked for, typed as that messenger's", () => {
    const account = accountFor(accounts, 'shop', 'whatsapp');
    expect(account?.credentials.phone_number_id).toBe('106540352242922');
  });
});

describe('accountNamed', () => {
  const { accounts } = parse(CONTRACT);

  it('finds the account a message recorded, and none once it has left the file', () => {
    expect(accountNamed(accounts, 'billing-wa')?.provider).toBe('whatsapp');
    expect(accountNamed(accounts, 'removed-bot')).toBeUndefined();
  });
});

describe('senderSecrets', () => {
  it('lists every token, and nothing that is not a secret', () => {
    expect(senderSecrets(parse(CONTRACT).accounts).sort()).toStrictEqual(
      [TELEGRAM_TOKEN, WHATSAPP_TOKEN, VIBER_TOKEN].sort(),
    );
  });

  it('lists nothing for no accounts', () => {
    expect(senderSecrets([])).toStrictEqual([]);
  });
});

describe('accountsOfUnknownClients', () => {
  const { accounts } = parse(CONTRACT);

  it("names each account of a client no API key names, and never the '*' ones", () => {
    expect(accountsOfUnknownClients(accounts, ['billing', 'shop'])).toStrictEqual([]);
    expect(accountsOfUnknownClients(accounts, ['biling'])).toStrictEqual([
      'sender account "billing-bot" is for client "billing", which no API key names (the clients: biling)',
      'sender account "billing-wa" is for client "billing", which no API key names (the clients: biling)',
    ]);
  });
});

describe('readSenderAccounts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'senders-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads the accounts of the file', () => {
    const path = file('senders.json', JSON.stringify(CONTRACT, null, 2));
    const read = readSenderAccounts(path);
    expect(read).toStrictEqual(parse(CONTRACT));
    expect(read.accounts.map((account: SenderAccount) => account.name)).toStrictEqual([
      'billing-bot',
      'billing-wa',
      'shop',
    ]);
  });

  it('names SENDERS_FILE and its path in every problem and warning', () => {
    const path = file(
      'bad.json',
      JSON.stringify([telegram({ token: undefined }), viber({ base_url: 'http://emulators:3000' })]),
    );
    expect(readSenderAccounts(path)).toMatchObject({
      accounts: [expect.objectContaining({ name: 'shop' })],
      problems: [`SENDERS_FILE (${path}): entry 1 ("billing-bot"): token is missing`],
      warnings: [
        expect.stringMatching(new RegExp(`^SENDERS_FILE \\(${path}\\): entry 2 \\("shop"\\): base_url is plain http`)),
      ],
    });
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.json'), 'does not exist'],
    ['a directory', () => dir, 'is a directory, not a file'],
    ['a file that is not UTF-8', () => file('latin1.json', Buffer.from([0x5b, 0xe9, 0x5d])), 'is not UTF-8 text'],
    ['an empty file', () => file('empty.json', ''), ': the sender list is empty: write [] for no sender accounts'],
    [
      'a file over 1 MiB',
      () => file('huge.json', `[${' '.repeat(1024 * 1024)}]`),
      'is over 1024 KiB: not a sender list',
    ],
    [
      'a file that is not JSON',
      () => file('yaml.json', `- token: ${TELEGRAM_TOKEN}\n`),
      ': the sender list is not valid JSON (line 1, column 2)',
    ],
  ])('refuses %s, without quoting it', (_case, at, problem) => {
    const path = at();
    const read = readSenderAccounts(path);
    expect(read).toStrictEqual({
      accounts: [],
      problems: [`SENDERS_FILE (${path})${problem.startsWith(':') ? '' : ' '}${problem}`],
      warnings: [],
    });
  });
});
