-- Every index FerretDB creates on one field gets a GIN twin, so that FerretDB's equality filters
-- are index scans: `_id` (FerretDB's own unique index) and every `create_index("field")`.
--
-- FerretDB v1 (internal/backends/postgresql/query.go) pushes an equality down as
--   WHERE _jsonb->'field' @> '"value"'
-- and the btree indexes it creates on (_jsonb->'field') cannot serve the @> operator: without a
-- twin, every update, find-and-modify or find by _id scans the whole table. A GIN jsonb_path_ops
-- index on the same expression serves @> (also for {_id, other: ...} filters: the other
-- conditions are checked on the rows found). Invisible through the MongoDB API; real MongoDB needs
-- nothing of the kind. See docs/store.md.
--
-- Run by deploy/local/servers.py in FerretDB's PostgreSQL database at every start; idempotent.

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- The first version of this file (CREATE TABLE trigger, _id only) is replaced by the twins.
DROP EVENT TRIGGER IF EXISTS sangsuk_id_gin_index;
DROP FUNCTION IF EXISTS public.sangsuk_on_create_table();
DROP FUNCTION IF EXISTS public.sangsuk_id_gin_index(regclass);
DROP FUNCTION IF EXISTS public.sangsuk_is_collection_table(oid);
DO $$
DECLARE
    old regclass;
BEGIN
    FOR old IN SELECT oid::regclass FROM pg_class WHERE relkind = 'i' AND relname LIKE 'sangsuk\_id\_gin\_%' LOOP
        EXECUTE format('DROP INDEX %s', old);  -- the twin of FerretDB's _id index replaces it
    END LOOP;
END
$$;

-- The expression of a FerretDB single-field btree index on a collection table, else NULL.
CREATE OR REPLACE FUNCTION public.sangsuk_twin_expression(idx oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT pg_get_expr(i.indexprs, i.indrelid)
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_class t ON t.oid = i.indrelid
    WHERE i.indexrelid = idx AND am.amname = 'btree' AND i.indnatts = 1 AND i.indexprs IS NOT NULL
      AND t.relname NOT LIKE '\_ferretdb\_%'          -- FerretDB's own metadata tables
      AND t.relnamespace <> 'public'::regnamespace     -- FerretDB keeps each database in a schema
      AND pg_get_expr(i.indexprs, i.indrelid) ~ '^\(_jsonb -> ''[^'']*''::text\)$'
$$;

CREATE OR REPLACE FUNCTION public.sangsuk_gin_twin(idx oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    expression text := public.sangsuk_twin_expression(idx);
    tbl regclass;
BEGIN
    IF expression IS NULL THEN
        RETURN;
    END IF;
    SELECT indrelid::regclass INTO tbl FROM pg_index WHERE indexrelid = idx;
    -- FerretDB names its indexes <table>_<name>_<hash>_idx: this name cannot clash with them.
    -- fastupdate off: with GIN's pending list every lookup would also scan the recent inserts.
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
                   'sangsuk_gin_' || idx, tbl, expression);
END
$$;

CREATE OR REPLACE FUNCTION public.sangsuk_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    obj record;
BEGIN
    FOR obj IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
        PERFORM public.sangsuk_gin_twin(obj.objid);  -- a GIN twin itself is no btree: no recursion
    END LOOP;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'sangsuk_gin_twins') THEN
        CREATE EVENT TRIGGER sangsuk_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
            EXECUTE FUNCTION public.sangsuk_on_create_index();
    END IF;
END
$$;

-- Indexes made before the trigger existed (an older var/): give them their twins too.
SELECT public.sangsuk_gin_twin(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                             'public'::regnamespace, 'pg_toast'::regnamespace);
