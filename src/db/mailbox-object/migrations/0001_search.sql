ALTER TABLE `messages` ADD `search_rowid` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `search_indexed` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_search_rowid_idx` ON `messages` (`search_rowid`);--> statement-breakpoint
CREATE INDEX `messages_search_backlog_idx` ON `messages` (`search_indexed`) WHERE "messages"."search_indexed" = 0 AND "messages"."deleted_at" IS NULL;--> statement-breakpoint
UPDATE `messages` SET `search_rowid` = rowid WHERE `search_rowid` IS NULL;--> statement-breakpoint
CREATE VIRTUAL TABLE `message_search` USING fts5(`subject`, `people`, `body`, `attachments`, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
