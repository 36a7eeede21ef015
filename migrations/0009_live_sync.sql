ALTER TABLE `imported_messages` ADD `graph_modified_at` text;--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `deleted_at` text;