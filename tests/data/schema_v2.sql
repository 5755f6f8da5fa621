-- A warroom database as warroom wrote it at schema version 2 (the DDL of that version, made by its code), for the migration tests.
BEGIN TRANSACTION;
CREATE TABLE attachments (
	id INTEGER NOT NULL, 
	incident_id INTEGER NOT NULL, 
	entry_uid VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	media_type VARCHAR(100) NOT NULL, 
	size INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	content BLOB NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT attachments_entry_sha UNIQUE (entry_uid, sha256), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
CREATE TABLE entries (
	id INTEGER NOT NULL, 
	incident_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	uid VARCHAR(64) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	author VARCHAR(200) NOT NULL, 
	host VARCHAR(200) NOT NULL, 
	session VARCHAR(64) NOT NULL, 
	occurred_at VARCHAR(32) NOT NULL, 
	recorded_at VARCHAR(32) NOT NULL, 
	text TEXT NOT NULL, 
	data TEXT NOT NULL, 
	amends INTEGER, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT entries_incident_seq UNIQUE (incident_id, seq), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id), 
	UNIQUE (uid)
);
INSERT INTO "entries" VALUES(1,1,1,'52a2dd21cf6d48ca8c3b8e973a28a655','declared','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','Checkout 503s','{"customer_impacting":false,"description":"","profile":"default","security":false,"services":[],"severity":"sev3","status":"investigating","title":"Checkout 503s"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','2bbef06c09b88a9b653c5d1e4192c204b00cf7066cd0179b2ac71570a6a576c3');
INSERT INTO "entries" VALUES(2,1,2,'5dcec602340a48ac915028ebaa40c40a','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','paged the DBA','{}',NULL,'2bbef06c09b88a9b653c5d1e4192c204b00cf7066cd0179b2ac71570a6a576c3','eb2d9be19cfdf59c33e402f32f7b8c6b143433acc6364c723559290fd8dcb5b4');
INSERT INTO "entries" VALUES(3,1,3,'08581f2d85894a4ca5c0e0d2d8e19d5d','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','deploy 4512 rolled back','{}',NULL,'eb2d9be19cfdf59c33e402f32f7b8c6b143433acc6364c723559290fd8dcb5b4','d65a25d106c2c8d134587db7952af6523735b4f384d99e1012ee9f9106245a03');
INSERT INTO "entries" VALUES(4,2,1,'97a6fecda6e348deab14b60aba801e51','declared','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','Search slow','{"customer_impacting":false,"description":"","profile":"default","security":false,"services":[],"severity":"sev3","status":"investigating","title":"Search slow"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','cf883283b42e4d58a53c1cc4ca642c7260fd1bd3f75c310109ca5bb2f08ef04c');
INSERT INTO "entries" VALUES(5,2,2,'5f31a0e66ca4443c88224595a9f909b5','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','index rebuilt','{}',NULL,'cf883283b42e4d58a53c1cc4ca642c7260fd1bd3f75c310109ca5bb2f08ef04c','165ee2cec937a96c715a2a815cdfc601cee04f11a25e72749df3bf08ee83b080');
CREATE TABLE incidents (
	id INTEGER NOT NULL, 
	ref VARCHAR(64) NOT NULL, 
	number INTEGER NOT NULL, 
	profile VARCHAR(64) NOT NULL, 
	created_at VARCHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (ref)
);
INSERT INTO "incidents" VALUES(1,'INC-1',1,'default','2026-11-22T14:00:00.000000Z');
INSERT INTO "incidents" VALUES(2,'INC-2',2,'default','2026-11-22T14:00:00.000000Z');
CREATE TABLE presence (
	session VARCHAR(64) NOT NULL, 
	incident_ref VARCHAR(64) NOT NULL, 
	author VARCHAR(200) NOT NULL, 
	host VARCHAR(200) NOT NULL, 
	seen_at VARCHAR(32) NOT NULL, 
	PRIMARY KEY (session)
);
CREATE TABLE warroom_meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "warroom_meta" VALUES('schema_version','2');
CREATE INDEX entries_kind ON entries (incident_id, kind);
CREATE INDEX attachments_incident ON attachments (incident_id);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: write an amendment instead'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: nothing is ever deleted'); END;
CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
       BEGIN SELECT RAISE(ABORT, 'incidents are never deleted'); END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
       BEGIN SELECT RAISE(ABORT, 'attachments are append-only: attach a new file instead'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
       BEGIN SELECT RAISE(ABORT, 'attachments are append-only: nothing is ever deleted'); END;
COMMIT;
