CREATE TABLE `mailbox_stores` (
	`org_id` text NOT NULL,
	`mailbox` text NOT NULL,
	`shared_inbox_id` text NOT NULL,
	`state` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `mailbox`)
);
--> statement-breakpoint
CREATE INDEX `mailbox_stores_org_inbox_idx` ON `mailbox_stores` (`org_id`,`shared_inbox_id`);