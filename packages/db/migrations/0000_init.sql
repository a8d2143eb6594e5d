CREATE TABLE "chat_room_participants" (
	"room_code" varchar(64) NOT NULL,
	"user_id" bigint NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_read_sequence_id" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "chat_room_participants_room_code_user_id_pk" PRIMARY KEY("room_code","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_rooms" (
	"code" varchar(64) PRIMARY KEY NOT NULL,
	"kind" varchar(8) NOT NULL,
	"pair_key" varchar(48),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_message" text DEFAULT '' NOT NULL,
	"last_message_type" varchar(8),
	"last_message_at" timestamp with time zone,
	"last_sequence_id" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "chat_rooms_kind_ck" CHECK ("chat_rooms"."kind" in ('direct', 'group'))
);
--> statement-breakpoint
CREATE TABLE "sync_quarantine" (
	"entry" varchar(200) PRIMARY KEY NOT NULL,
	"kind" varchar(16) NOT NULL,
	"attempts" integer NOT NULL,
	"reason" text NOT NULL,
	"quarantined_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" bigint PRIMARY KEY NOT NULL,
	"name" varchar(200) NOT NULL,
	"avatar_url" text,
	"role" varchar(16) NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_room_participants" ADD CONSTRAINT "chat_room_participants_room_code_chat_rooms_code_fk" FOREIGN KEY ("room_code") REFERENCES "public"."chat_rooms"("code") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_room_participants_user_idx" ON "chat_room_participants" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_rooms_pair_key_uq" ON "chat_rooms" USING btree ("pair_key");