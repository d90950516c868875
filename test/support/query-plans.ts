import type { SqlClient } from './test-database';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of the statement's plan, flattened. */
export async function planOf(db: SqlClient, sql: string, params: unknown[]): Promise<PlanNode[]> {
  const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const nodesOf = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
  return nodesOf(rows[0]['QUERY PLAN'][0].Plan);
}

/** How each plan node reads `messages`: the scan types, with the index where there is one. */
export const readsOfMessages = (nodes: PlanNode[]): string[] =>
  nodes
    .filter((n) => n['Relation Name'] === 'messages' && n['Node Type'] !== 'ModifyTable')
    .map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
