CREATE TABLE `outlook_connections` (
	`org_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`status` text NOT NULL,
	`access_token_sealed` text,
	`refresh_token_sealed` text,
	`access_token_expires_at` text,
	`scopes` text DEFAULT '[]' NOT NULL,
	`connected_by_user_id` text,
	`connected_by_display_name` text,
	`connected_by_email` text,
	`connected_by_epilot_user_id` text,
	`connected_at` text,
	`admin_consented_at` text,
	`token_version` integer DEFAULT 0 NOT NULL,
	`refresh_lock_id` text,
	`refresh_lock_expires_at` text,
	`last_error` text,
	`last_error_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `tenant_id`)
);
--> statement-breakpoint
CREATE INDEX `outlook_connections_org_created_idx` ON `outlook_connections` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `outlook_oauth_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text,
	`flow` text NOT NULL,
	`state_hash` text,
	`outcome` text DEFAULT 'pending' NOT NULL,
	`error` text,
	`error_description` text,
	`error_subcode` text,
	`error_uri` text,
	`consent_required` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`finished_at` text,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outlook_oauth_attempts_org_tenant_idx` ON `outlook_oauth_attempts` (`org_id`,`tenant_id`,`finished_at`);--> statement-breakpoint
CREATE INDEX `outlook_oauth_attempts_state_idx` ON `outlook_oauth_attempts` (`state_hash`);--> statement-breakpoint
CREATE INDEX `outlook_oauth_attempts_expires_idx` ON `outlook_oauth_attempts` (`expires_at`);--> statement-breakpoint
CREATE TABLE `outlook_oauth_states` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`flow` text NOT NULL,
	`tenant_id` text NOT NULL,
	`code_verifier_sealed` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE INDEX `outlook_oauth_states_expires_idx` ON `outlook_oauth_states` (`expires_at`);