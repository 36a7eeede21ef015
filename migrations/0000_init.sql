CREATE TABLE `email_addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`address` text NOT NULL,
	`name` text,
	`user_ids` text DEFAULT '[]' NOT NULL,
	`group_ids` text DEFAULT '[]' NOT NULL,
	`default_signature_id` text,
	`shared_inbox_id` text DEFAULT 'default' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`is_primary` integer DEFAULT false NOT NULL,
	`is_epilot_email_address` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`created_by` text,
	`updated_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_addresses_org_address_uq` ON `email_addresses` (`org_id`,`address`);--> statement-breakpoint
CREATE UNIQUE INDEX `email_addresses_one_primary_per_org_uq` ON `email_addresses` (`org_id`) WHERE "email_addresses"."is_primary" = 1;--> statement-breakpoint
CREATE UNIQUE INDEX `email_addresses_epilot_address_uq` ON `email_addresses` (`address`) WHERE "email_addresses"."is_epilot_email_address" = 1;--> statement-breakpoint
CREATE INDEX `email_addresses_org_created_idx` ON `email_addresses` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_addresses_org_inbox_idx` ON `email_addresses` (`org_id`,`shared_inbox_id`);--> statement-breakpoint
CREATE TABLE `inbox_buckets` (
	`org_id` text NOT NULL,
	`id` text NOT NULL,
	`inbox_id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbox_buckets_org_inbox_uq` ON `inbox_buckets` (`org_id`,`inbox_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text,
	`value` text,
	`html` text,
	`unique_key` text,
	`extra` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`created_by` text,
	`updated_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `settings_org_type_unique_key_uq` ON `settings` (`org_id`,`type`,`unique_key`) WHERE "settings"."unique_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `settings_org_type_created_idx` ON `settings` (`org_id`,`type`,`created_at`);--> statement-breakpoint
CREATE TABLE `shared_inboxes` (
	`org_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`color` text NOT NULL,
	`assignees` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`created_by` text,
	`updated_by` text,
	PRIMARY KEY(`org_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `shared_inboxes_org_created_idx` ON `shared_inboxes` (`org_id`,`created_at`);