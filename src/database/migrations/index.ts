import { InitMessages1795850169683 } from './1795850169683-InitMessages';
import { AttemptHistory1795851593050 } from './1795851593050-AttemptHistory';

// Listed explicitly (not globbed) so the same list works from ts sources, compiled dist and jest.
export const migrations = [InitMessages1795850169683, AttemptHistory1795851593050];
