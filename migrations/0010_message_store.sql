CREATE TABLE `message_attachments` (
	`org_id` text NOT NULL,
	`message_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`content_type` text,
	`size` integer NOT NULL,
	`content_id` text,
	`is_inline` integer DEFAULT false NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`skipped_reason` text,
	`r2_key` text,
	`sha256` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `message_id`, `id`)
);
--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `body_store` text;--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `body_size` integer;--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `has_attachments` integer DEFAULT false NOT NULL;