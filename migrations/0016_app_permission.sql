ALTER TABLE `outlook_connections` ADD `app_permission` text;--> statement-breakpoint
ALTER TABLE `outlook_connections` ADD `app_permission_checked_at` text;--> statement-breakpoint
ALTER TABLE `outlook_connections` ADD `app_permission_detail` text;