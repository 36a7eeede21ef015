ALTER TABLE `settings` ADD `sanitizer_version` text;--> statement-breakpoint
CREATE INDEX `settings_signature_version_idx` ON `settings` (`sanitizer_version`) WHERE "settings"."type" = 'signature';