import { parseOrigins } from './cors-origins';

describe('parseOrigins', () => {
  it('reads a comma-separated list of origins, spaces around entries dropped', () => {
    expect(parseOrigins(' https://app.example.com, http://localhost:5173 ,https://[::1]:8443')).toEqual({
      origins: ['https://app.example.com', 'http://localhost:5173', 'https://[::1]:8443'],
      problems: [],
    });
  });

  it.each([
    ['a bare host', 'app.example.com'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a path', 'https://app.example.com/app'],
    ['a query', 'https://app.example.com?x=1'],
    ['a scheme browsers send no CORS request from', 'ftp://app.example.com'],
    ['a default port spelt out', 'https://app.example.com:443'],
    ['capitals, which an Origin header never has', 'https://App.example.com'],
    ['an empty entry', ''],
  ])('refuses %s: an Origin header never reads like %p', (_, entry) => {
    expect(parseOrigins(entry)).toEqual({
      origins: [],
      problems: [`entry 1 (${JSON.stringify(entry)}) is not an origin: http(s)://host[:port], without a path`],
    });
  });

  it('names each bad entry by its position, and keeps the good ones', () => {
    expect(parseOrigins('https://a.example.com,https://b.example.com/,c.example.com')).toEqual({
      origins: ['https://a.example.com'],
      problems: [
        'entry 2 ("https://b.example.com/") is not an origin: http(s)://host[:port], without a path',
        'entry 3 ("c.example.com") is not an origin: http(s)://host[:port], without a path',
      ],
    });
  });
});
