import { InitMessages1795850169683 } from './1795850169683-InitMessages';
import { AttemptHistory1795851593050 } from './1795851593050-AttemptHistory';
import { InboxAndOrdering1795853015605 } from './1795853015605-InboxAndOrdering';
import { IdempotencyKeys1795853298605 } from './1795853298605-IdempotencyKeys';
import { ClientTenancy1795860000000 } from './1795860000000-ClientTenancy';
import { TimeOrderedMessageIds1795870000000 } from './1795870000000-TimeOrderedMessageIds';
import { InboxByMessage1795880000000 } from './1795880000000-InboxByMessage';
import { CanonicalBodyKeys1795890000000 } from './1795890000000-CanonicalBodyKeys';
import { SenderAccounts1796205333472 } from './1796205333472-SenderAccounts';
import { StatusCallbacks1796205365094 } from './1796205365094-StatusCallbacks';
import { SharedPacing1796205506408 } from './1796205506408-SharedPacing';
import { KeylessInboxDeliveries1796205447437 } from './1796205447437-KeylessInboxDeliveries';
import { Retention1796209672974 } from './1796209672974-Retention';
import { SenderLanes1796300000000 } from './1796300000000-SenderLanes';
import { MessageKeys1796400000000 } from './1796400000000-MessageKeys';
import { AttemptsWithoutForeignKey1796400000001 } from './1796400000001-AttemptsWithoutForeignKey';

// Listed explicitly (not globbed) so the same list works from ts sources, compiled dist and jest.
export const migrations = [
  InitMessages1795850169683,
  AttemptHistory1795851593050,
  InboxAndOrdering1795853015605,
  IdempotencyKeys1795853298605,
  ClientTenancy1795860000000,
  TimeOrderedMessageIds1795870000000,
  InboxByMessage1795880000000,
  CanonicalBodyKeys1795890000000,
  SenderAccounts1796205333472,
  StatusCallbacks1796205365094,
  KeylessInboxDeliveries1796205447437,
  SharedPacing1796205506408,
  Retention1796209672974,
  SenderLanes1796300000000,
  MessageKeys1796400000000,
  AttemptsWithoutForeignKey1796400000001,
];
