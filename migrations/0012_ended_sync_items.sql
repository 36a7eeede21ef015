-- Issue 12 (D1 bytes per message): the IMPORTED items of an ended execution are dead weight (its counters
-- are snapshotted on the execution; retries read FAILED items only; an imported message is known by its
-- imported_messages row). Executions now delete them when they end; this removes those of executions
-- that ended before. Executions that ended without a counter snapshot keep theirs (their counters are
-- still computed from them). FAILED, PERMANENTLY_FAILED and PENDING items, and running executions, stay.
DELETE FROM `mailbox_sync_items`
WHERE `status` = 'IMPORTED'
  AND EXISTS (
    SELECT 1 FROM `mailbox_sync_executions` e
    WHERE e.`org_id` = `mailbox_sync_items`.`org_id`
      AND e.`id` = `mailbox_sync_items`.`execution_id`
      AND e.`status` <> 'RUNNING'
      AND e.`inbox_counters` IS NOT NULL
      AND e.`sent_items_counters` IS NOT NULL
  );
