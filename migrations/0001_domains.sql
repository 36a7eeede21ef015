CREATE TABLE `domain_verifications` (
	`setting_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`domain` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`token` text NOT NULL,
	`dkim_key_id` text NOT NULL,
	`records` text DEFAULT '[]' NOT NULL,
	`name_server_check` text,
	`verified_at` text,
	`last_checked_at` text,
	`next_check_at` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`setting_id`) REFERENCES `settings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domain_verifications_verified_domain_uq` ON `domain_verifications` (`domain`) WHERE "domain_verifications"."status" = 'verified';--> statement-breakpoint
CREATE INDEX `domain_verifications_org_domain_idx` ON `domain_verifications` (`org_id`,`domain`);--> statement-breakpoint
CREATE INDEX `domain_verifications_next_check_idx` ON `domain_verifications` (`next_check_at`);