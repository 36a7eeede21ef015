CREATE TABLE `attachments` (
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
	PRIMARY KEY(`message_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `import_items` (
	`graph_id` text PRIMARY KEY NOT NULL,
	`execution_id` text NOT NULL,
	`folder` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempted_in` text,
	`last_error` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `import_items_execution_idx` ON `import_items` (`execution_id`,`folder`,`status`);--> statement-breakpoint
CREATE TABLE `message_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`graph_id` text NOT NULL,
	`folder` text NOT NULL,
	`subject` text,
	`from_address` text,
	`from_name` text,
	`to_recipients` text NOT NULL,
	`cc_recipients` text NOT NULL,
	`received_at` text,
	`sent_at` text,
	`sort_at` text NOT NULL,
	`conversation_id` text,
	`body_preview` text,
	`body_content_type` text,
	`body_truncated` integer DEFAULT false NOT NULL,
	`body_size` integer,
	`has_attachments` integer DEFAULT false NOT NULL,
	`execution_id` text NOT NULL,
	`imported_at` text NOT NULL,
	`graph_modified_at` text,
	`deleted_at` text,
	`live_seen_round` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_graph_id_unique` ON `messages` (`graph_id`);--> statement-breakpoint
CREATE INDEX `messages_listing_idx` ON `messages` (`sort_at`,`id`) WHERE "messages"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `messages_folder_idx` ON `messages` (`folder`,`sort_at`);--> statement-breakpoint
CREATE TABLE `store_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
