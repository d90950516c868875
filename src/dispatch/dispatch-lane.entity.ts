import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A lane: one messenger account, the unit its limits apply to. `sender` is the account's name, and ''
 * the built-in emulator's default account of the messenger (messages.sender NULL; account names are
 * never empty). One row per lane: the next send slot no worker has booked yet. Every worker books its
 * slots here, under the row's lock, so the account's rate holds for all of them together
 * (src/dispatch/shared-pacer.ts).
 */
@Entity('dispatch_lanes')
export class DispatchLaneEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'dispatch_lanes_pkey' })
  provider: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'dispatch_lanes_pkey' })
  sender: string;

  @Column({ name: 'next_slot_at', type: 'timestamptz', default: () => 'now()' })
  nextSlotAt: Date;
}
