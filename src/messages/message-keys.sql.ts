/** SQL: rows `a` and `b` have the same dedup key (DedupKey's columns). */
export const sameDedupKey = (a: string, b: string): string =>
  ['client', 'provider', 'recipient', 'body_hash'].map((column) => `${a}.${column} = ${b}.${column}`).join(' AND ');

/**
 * SQL for a data-modifying CTE: gives up the dedup keys of the messages `rows` names (rows of messages, as a
 * cancel or a removal returned them), each found by message_keys' primary key. A key is deleted only while
 * it is still that message's own.
 */
export const releaseDedupKeys = (rows: string): string => `
    DELETE FROM message_keys k USING ${rows} r
    WHERE ${sameDedupKey('k', 'r')} AND k.message_id = r.id`;
