/**
 * `format`, remembering its latest answer. Hot paths ask about the same instant many times in a row: a
 * 1000-recipient answer holds 4000 times that are nearly all its statement's now(), and a busy worker logs
 * several lines a millisecond. For them most calls are a comparison instead of a new string.
 */
export function formatLatest(format: (time: number) => string): (time: number) => string {
  let latest = { time: NaN, text: '' };
  return (time) => {
    if (time !== latest.time) latest = { time, text: format(time) };
    return latest.text;
  };
}

/** new Date(time).toISOString(); an invalid time throws, as toISOString does. */
export const isoTime = formatLatest((time) => new Date(time).toISOString());
