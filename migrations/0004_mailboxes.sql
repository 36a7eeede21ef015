CREATE TABLE `imported_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`mailbox` text NOT NULL,
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
	`body` text,
	`body_truncated` integer DEFAULT false NOT NULL,
	`shared_inbox_id` text NOT NULL,
	`bucket_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`imported_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `imported_messages_org_mailbox_graph_uq` ON `imported_messages` (`org_id`,`mailbox`,`graph_id`);--> statement-breakpoint
CREATE INDEX `imported_messages_org_inbox_sort_idx` ON `imported_messages` (`org_id`,`shared_inbox_id`,`sort_at`,`id`);--> statement-breakpoint
CREATE TABLE `mailbox_sync_executions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`mailbox` text NOT NULL,
	`kind` text NOT NULL,
	`retry_of` text,
	`timeframe` text NOT NULL,
	`status` text NOT NULL,
	`fencing_token` integer NOT NULL,
	`window_start` text NOT NULL,
	`inbox_status` text NOT NULL,
	`sent_items_status` text NOT NULL,
	`inbox_counters` text,
	`sent_items_counters` text,
	`error` text,
	`started_at` text NOT NULL,
	`completed_at` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `mailbox_sync_executions_org_mailbox_idx` ON `mailbox_sync_executions` (`org_id`,`mailbox`,`started_at`);--> statement-breakpoint
CREATE TABLE `mailbox_sync_items` (
	`org_id` text NOT NULL,
	`mailbox` text NOT NULL,
	`graph_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`folder` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempted_in` text,
	`last_error` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `mailbox`, `graph_id`)
);
--> statement-breakpoint
CREATE INDEX `mailbox_sync_items_execution_idx` ON `mailbox_sync_items` (`org_id`,`execution_id`,`folder`,`status`);--> statement-breakpoint
CREATE TABLE `outlook_mailboxes` (
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`tenant_id` text NOT NULL,
	`provider` text DEFAULT 'outlook' NOT NULL,
	`shared_inbox_id` text DEFAULT 'default' NOT NULL,
	`connected_at` text NOT NULL,
	`connected_by_user_id` text,
	`sync_fencing_token` integer,
	PRIMARY KEY(`org_id`, `email`)
);
--> statement-breakpoint
CREATE INDEX `outlook_mailboxes_org_tenant_idx` ON `outlook_mailboxes` (`org_id`,`tenant_id`);--> statement-breakpoint
CREATE INDEX `outlook_mailboxes_org_inbox_idx` ON `outlook_mailboxes` (`org_id`,`shared_inbox_id`);