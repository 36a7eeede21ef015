ALTER TABLE `imported_messages` ADD `body_sanitized` text;--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `body_sanitized_truncated` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `imported_messages` ADD `body_sanitizer_version` text;