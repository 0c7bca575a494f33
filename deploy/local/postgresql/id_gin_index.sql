-- Every collection FerretDB creates gets a GIN index on its _id, so that _id lookups are index scans.
--
-- FerretDB v1 (internal/backends/postgresql/query.go) pushes an equality on _id down as
--   WHERE _jsonb->'_id' @> '"the id"'
-- and the unique btree index it creates on (_jsonb->'_id') cannot serve the @> operator: without
-- this index every update, find-and-modify or find by _id scans the whole table. A GIN
-- jsonb_path_ops index on the same expression serves @> (also for {_id, other: ...} filters: the
-- other conditions are checked on the one row found). Invisible through the MongoDB API; real
-- MongoDB needs nothing of the kind. See docs/store.md.
--
-- Run by deploy/local/servers.py in FerretDB's PostgreSQL database at every start; idempotent.

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE OR REPLACE FUNCTION public.sangsuk_id_gin_index(tbl regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    -- FerretDB names its own indexes <table>_<name>_<hash>_idx: this name cannot clash with them.
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> ''_id'') jsonb_path_ops)',
                   'sangsuk_id_gin_' || tbl::oid, tbl);
END
$$;

CREATE OR REPLACE FUNCTION public.sangsuk_is_collection_table(tbl oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.oid = tbl AND c.relkind = 'r' AND a.attname = '_jsonb' AND NOT a.attisdropped
          AND c.relname NOT LIKE '\_ferretdb\_%'        -- FerretDB's own metadata tables
          AND c.relnamespace <> 'public'::regnamespace)  -- FerretDB keeps each database in a schema
$$;

CREATE OR REPLACE FUNCTION public.sangsuk_on_create_table() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    obj record;
BEGIN
    FOR obj IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' LOOP
        IF public.sangsuk_is_collection_table(obj.objid) THEN
            PERFORM public.sangsuk_id_gin_index(obj.objid::regclass);
        END IF;
    END LOOP;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'sangsuk_id_gin_index') THEN
        CREATE EVENT TRIGGER sangsuk_id_gin_index ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
            EXECUTE FUNCTION public.sangsuk_on_create_table();
    END IF;
END
$$;

-- Tables made before the trigger existed (an older var/): give them the index too.
SELECT public.sangsuk_id_gin_index(c.oid::regclass)
FROM pg_class c
WHERE public.sangsuk_is_collection_table(c.oid)
  AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace);
