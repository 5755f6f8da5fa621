-- A warroom database as warroom wrote it at schema version 1 (the DDL of that version, made by its code), for the migration tests.
BEGIN TRANSACTION;
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
INSERT INTO "entries" VALUES(1,1,1,'3461b49bcc3141388756e50ce0a4f7ca','declared','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','Checkout 503s','{"customer_impacting":false,"description":"","profile":"default","security":false,"services":[],"severity":"sev3","status":"investigating","title":"Checkout 503s"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','50cc1320cc53717a4869b3fea562116a433b0a8414e18eef515868665558cb49');
INSERT INTO "entries" VALUES(2,1,2,'37a3fc61d3b14cf5b88a61118b174309','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','paged the DBA','{}',NULL,'50cc1320cc53717a4869b3fea562116a433b0a8414e18eef515868665558cb49','d7609aafcef0e3add0c1ef161826855c59efcb060f4f7765a5a2826596553043');
INSERT INTO "entries" VALUES(3,1,3,'c8d65ae6125341fa9122a2f5bf9c0b17','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','deploy 4512 rolled back','{}',NULL,'d7609aafcef0e3add0c1ef161826855c59efcb060f4f7765a5a2826596553043','727c780c9076bf55df30cfef0754b29a3c6bc742e0556af429096965cf562c94');
INSERT INTO "entries" VALUES(4,2,1,'6fff429311ef48e88cd7ca9e35618913','declared','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','Search slow','{"customer_impacting":false,"description":"","profile":"default","security":false,"services":[],"severity":"sev3","status":"investigating","title":"Search slow"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','302c73a0d930e6191018cf40e2e490d3717cde7e9dd74f2459778ce86cd7649d');
INSERT INTO "entries" VALUES(5,2,2,'ccd687e1b0fb4cd6a198e3ef0735fe04','note','alice','laptop','s1','2026-11-22T14:00:00.000000Z','2026-11-22T14:00:00.000000Z','index rebuilt','{}',NULL,'302c73a0d930e6191018cf40e2e490d3717cde7e9dd74f2459778ce86cd7649d','9f22541042ffe2060dc839caa4bf00b975d7a33929d9a1661a1d08efd436af9f');
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
INSERT INTO "warroom_meta" VALUES('schema_version','1');
CREATE INDEX entries_kind ON entries (incident_id, kind);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: write an amendment instead'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: nothing is ever deleted'); END;
CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
       BEGIN SELECT RAISE(ABORT, 'incidents are never deleted'); END;
COMMIT;
