ALTER TABLE `outlook_oauth_states` ADD `browser_binding_hash` text;--> statement-breakpoint
CREATE INDEX `outlook_oauth_states_browser_idx` ON `outlook_oauth_states` (`browser_binding_hash`);