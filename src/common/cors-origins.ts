/** The origins in a comma-separated list, e.g. "https://app.example.com, http://localhost:5173". */
export function parseOrigins(value: string): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  value.split(',').forEach((raw, i) => {
    const entry = raw.trim();
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    // An Origin header is exactly scheme://host[:port]: a path or a trailing slash would never match one.
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry) {
      problems.push(
        `entry ${i + 1} (${JSON.stringify(entry)}) is not an origin: http(s)://host[:port], without a path`,
      );
    } else {
      origins.push(entry);
    }
  });
  return { origins, problems };
}
