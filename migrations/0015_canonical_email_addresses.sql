-- Addresses are stored in canonical form (trimmed, lowercased, one trailing dot removed, IDN as punycode).
-- Earlier versions kept a trailing dot, so a@b.example. and a@b.example could be two rows and
-- support@epilot.cloud. slipped past the platform-domain rule. IDN and uppercase spellings were never
-- stored (refused, or lowercased). The platform domain here is the default EPILOT_EMAIL_DOMAIN.
--
-- 1. Rows added through that gap on the platform domain (not provisioned) are deactivated and keep their
--    spelling. A primary among them hands the role to the oldest remaining active address of its org, as
--    deleting it would: the old flag is parked in is_active first (only these rows), then read.
UPDATE `email_addresses`
SET `is_active` = `is_primary`, `is_primary` = 0, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE `is_epilot_email_address` = 0 AND `address` LIKE '%.'
  AND (lower(`address`) LIKE '%@epilot.cloud.' OR lower(`address`) LIKE '%.epilot.cloud.');
--> statement-breakpoint
UPDATE `email_addresses` SET `is_primary` = 1
WHERE `id` = (
    SELECT `e`.`id` FROM `email_addresses` `e`
    WHERE `e`.`org_id` = `email_addresses`.`org_id` AND `e`.`is_active` = 1
      AND NOT (`e`.`is_epilot_email_address` = 0 AND `e`.`address` LIKE '%.'
        AND (lower(`e`.`address`) LIKE '%@epilot.cloud.' OR lower(`e`.`address`) LIKE '%.epilot.cloud.'))
    ORDER BY `e`.`created_at`, `e`.`rowid` LIMIT 1)
  AND EXISTS (
    SELECT 1 FROM `email_addresses` `h`
    WHERE `h`.`org_id` = `email_addresses`.`org_id` AND `h`.`is_active` = 1
      AND `h`.`is_epilot_email_address` = 0 AND `h`.`address` LIKE '%.'
      AND (lower(`h`.`address`) LIKE '%@epilot.cloud.' OR lower(`h`.`address`) LIKE '%.epilot.cloud.'))
  AND NOT EXISTS (SELECT 1 FROM `email_addresses` `p` WHERE `p`.`org_id` = `email_addresses`.`org_id` AND `p`.`is_primary` = 1);
--> statement-breakpoint
UPDATE `email_addresses` SET `is_active` = 0
WHERE `is_epilot_email_address` = 0 AND `address` LIKE '%.'
  AND (lower(`address`) LIKE '%@epilot.cloud.' OR lower(`address`) LIKE '%.epilot.cloud.');
--> statement-breakpoint
-- 2. Every other non-canonical address takes its canonical form, unless another row of the org has the
--    same canonical form (it then stays as stored, found by its id) or, for a platform address, another
--    org holds it.
UPDATE `email_addresses`
SET `address` = lower(CASE WHEN `address` LIKE '%.' THEN substr(`address`, 1, length(`address`) - 1) ELSE `address` END)
WHERE `address` <> lower(CASE WHEN `address` LIKE '%.' THEN substr(`address`, 1, length(`address`) - 1) ELSE `address` END)
  AND NOT (`is_epilot_email_address` = 0 AND `address` LIKE '%.'
    AND (lower(`address`) LIKE '%@epilot.cloud.' OR lower(`address`) LIKE '%.epilot.cloud.'))
  AND NOT EXISTS (
    SELECT 1 FROM `email_addresses` `o`
    WHERE `o`.`id` <> `email_addresses`.`id`
      AND (`o`.`org_id` = `email_addresses`.`org_id` OR (`o`.`is_epilot_email_address` = 1 AND `email_addresses`.`is_epilot_email_address` = 1))
      AND lower(CASE WHEN `o`.`address` LIKE '%.' THEN substr(`o`.`address`, 1, length(`o`.`address`) - 1) ELSE `o`.`address` END)
        = lower(CASE WHEN `email_addresses`.`address` LIKE '%.' THEN substr(`email_addresses`.`address`, 1, length(`email_addresses`.`address`) - 1) ELSE `email_addresses`.`address` END));
--> statement-breakpoint
-- 3. The legacy email_address and whitelist_email_address settings likewise (value and unique key),
--    unless another setting of the org and type has the same canonical form.
UPDATE `settings`
SET `value` = lower(substr(`value`, 1, length(`value`) - 1)), `unique_key` = lower(substr(`value`, 1, length(`value`) - 1))
WHERE `type` IN ('email_address', 'whitelist_email_address') AND `value` LIKE '%.'
  AND NOT EXISTS (
    SELECT 1 FROM `settings` `o`
    WHERE `o`.`org_id` = `settings`.`org_id` AND `o`.`type` = `settings`.`type` AND `o`.`id` <> `settings`.`id`
      AND lower(CASE WHEN `o`.`value` LIKE '%.' THEN substr(`o`.`value`, 1, length(`o`.`value`) - 1) ELSE `o`.`value` END)
        = lower(substr(`settings`.`value`, 1, length(`settings`.`value`) - 1)));
