-- The team server's access log (issue 17). Run by bootstrap.py in one transaction, after the
-- roles exist and gvm_private.blake2b_mac has been created from blake2b_sql.py.
--
-- Two schemas: gvm holds what application roles may reach (the log, to read; append_log and
-- log_head, to call); gvm_private holds the chain's state and evolving MAC key, pgcrypto and the
-- chaining functions, and no role but its owner has USAGE on it. Every function that crosses
-- from one to the other is SECURITY DEFINER, owned by gvm_owner (NOLOGIN, not a superuser), with
-- search_path pinned to pg_catalog and every other name schema-qualified.

CREATE TABLE gvm.server_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- The same fields as the vault's access_log (store/migrations.py), in the order of its canonical form
-- (store/log_chain.py _FIELDS), plus the chain: the previous hash, this entry's hash and its MAC.
CREATE TABLE gvm.access_log (
    seq             bigint PRIMARY KEY CHECK (seq >= 1),
    at_utc          text NOT NULL,
    tz              text NOT NULL,
    workstation     text NOT NULL,
    user_id         bigint,
    username        text,
    role            text,
    bcu             text,
    action          text NOT NULL,
    record_ref      text,
    reason_category text,
    justification   text,
    outcome         text NOT NULL CHECK (outcome IN ('allowed', 'refused', 'failed')),
    detail          text,
    operation_ref   text,
    prev_hash       bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    entry_hash      bytea NOT NULL CHECK (octet_length(entry_hash) = 32),
    mac             bytea NOT NULL CHECK (octet_length(mac) = 32)
);
CREATE INDEX access_log_user ON gvm.access_log (user_id, seq);
CREATE INDEX access_log_record ON gvm.access_log (record_ref, seq);

-- One row: the head and the key for the NEXT entry. Each append overwrites the key; PostgreSQL keeps
-- the old row version until it is pruned or vacuumed, and in its WAL (docs/server.md says what that means).
CREATE TABLE gvm_private.log_state (
    id          integer PRIMARY KEY CHECK (id = 1),
    head_seq    bigint NOT NULL CHECK (head_seq >= 0),
    head_hash   bytea NOT NULL CHECK (octet_length(head_hash) = 32),
    mac_key     bytea NOT NULL CHECK (octet_length(mac_key) = 32),
    last_at_utc text NOT NULL
);

-- A guard rail, as in the vault: the owner (and a superuser) could drop it. The MACs are the evidence.
CREATE FUNCTION gvm_private.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON gvm.access_log
    FOR EACH ROW EXECUTE FUNCTION gvm_private.refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON gvm.access_log
    FOR EACH STATEMENT EXECUTE FUNCTION gvm_private.refuse_change();

-- k[i+1] = SHA-256(tag || k[i]): log_chain.evolve.
CREATE FUNCTION gvm_private.evolve(key bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to('gvm-desktop/log-key/v1', 'UTF8') || key)
$$;

-- A commitment to the next MAC key that auditors may read: it shows a rolled-back or rewritten state
-- without giving the key away (a different tag from evolve's, so it is not the key after next).
CREATE FUNCTION gvm_private.key_commitment(key bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to('gvm-desktop/log-key-commitment/v1', 'UTF8') || key)
$$;

-- The vault's canonical form: SQLite's json_array over the fields, in UTF-8. PostgreSQL's JSON string
-- escaping is the same as SQLite's (\" \\ \b \f \n \r \t, other controls as lower-case \u00XX, the rest
-- as is); the array has no spaces, unlike json_build_array's output, so it is put together here.
CREATE FUNCTION gvm_private.canonical(
    seq bigint, at_utc text, tz text, workstation text, user_id bigint, username text, role text, bcu text,
    action text, record_ref text, reason_category text, justification text, outcome text, detail text,
    operation_ref text
) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT pg_catalog.convert_to('[' || pg_catalog.concat_ws(',',
        seq::text,
        coalesce(pg_catalog.to_json(at_utc)::text, 'null'),
        coalesce(pg_catalog.to_json(tz)::text, 'null'),
        coalesce(pg_catalog.to_json(workstation)::text, 'null'),
        coalesce(user_id::text, 'null'),
        coalesce(pg_catalog.to_json(username)::text, 'null'),
        coalesce(pg_catalog.to_json(role)::text, 'null'),
        coalesce(pg_catalog.to_json(bcu)::text, 'null'),
        coalesce(pg_catalog.to_json(action)::text, 'null'),
        coalesce(pg_catalog.to_json(record_ref)::text, 'null'),
        coalesce(pg_catalog.to_json(reason_category)::text, 'null'),
        coalesce(pg_catalog.to_json(justification)::text, 'null'),
        coalesce(pg_catalog.to_json(outcome)::text, 'null'),
        coalesce(pg_catalog.to_json(detail)::text, 'null'),
        coalesce(pg_catalog.to_json(operation_ref)::text, 'null')
    ) || ']', 'UTF8')
$$;

-- Chain, MAC and insert entry `seq` after `prev_hash` under `key`; return its hash. The caller holds the
-- state row's lock and moves the state on.
CREATE FUNCTION gvm_private.write_entry(
    p_seq bigint, p_prev bytea, p_key bytea, p_at_utc text, p_tz text, p_workstation text, p_user_id bigint,
    p_username text, p_role text, p_bcu text, p_action text, p_record_ref text, p_reason_category text,
    p_justification text, p_outcome text, p_detail text, p_operation_ref text
) RETURNS bytea
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    v_hash bytea;
BEGIN
    v_hash := pg_catalog.sha256(p_prev || gvm_private.canonical(
        p_seq, p_at_utc, p_tz, p_workstation, p_user_id, p_username, p_role, p_bcu, p_action, p_record_ref,
        p_reason_category, p_justification, p_outcome, p_detail, p_operation_ref));
    INSERT INTO gvm.access_log (seq, at_utc, tz, workstation, user_id, username, role, bcu, action, record_ref,
                                reason_category, justification, outcome, detail, operation_ref,
                                prev_hash, entry_hash, mac)
    VALUES (p_seq, p_at_utc, p_tz, p_workstation, p_user_id, p_username, p_role, p_bcu, p_action, p_record_ref,
            p_reason_category, p_justification, p_outcome, p_detail, p_operation_ref,
            p_prev, v_hash, gvm_private.blake2b_mac(p_key, v_hash));
    RETURN v_hash;
END
$$;

-- The server's clock, UTC to the second as core/clock.to_iso writes it, never before the last entry's time:
-- the verifier checks that times do not go back, and appends are ordered by the lock, not by their clocks.
CREATE FUNCTION gvm_private.now_utc(p_not_before text) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog AS $$
    SELECT pg_catalog.max(t COLLATE "C") FROM (VALUES
        (pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        (p_not_before)) AS times (t)
$$;

-- The one way in for clients. The state row's lock serialises appends across every connection, so
-- the chain cannot fork; it is held to the end of the caller's transaction, which should be short.
CREATE FUNCTION gvm.append_log(
    p_tz text, p_workstation text, p_user_id bigint, p_username text, p_role text, p_bcu text, p_action text,
    p_record_ref text, p_reason_category text, p_justification text, p_outcome text, p_detail text,
    p_operation_ref text, OUT entry_seq bigint, OUT entry_at_utc text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st gvm_private.log_state;
    v_hash bytea;
BEGIN
    SELECT * INTO STRICT st FROM gvm_private.log_state WHERE id = 1 FOR UPDATE;
    entry_seq := st.head_seq + 1;
    entry_at_utc := gvm_private.now_utc(st.last_at_utc);
    v_hash := gvm_private.write_entry(entry_seq, st.head_hash, st.mac_key, entry_at_utc, p_tz, p_workstation,
                                      p_user_id, p_username, p_role, p_bcu, p_action, p_record_ref,
                                      p_reason_category, p_justification, p_outcome, p_detail, p_operation_ref);
    UPDATE gvm_private.log_state
       SET head_seq = entry_seq, head_hash = v_hash, mac_key = gvm_private.evolve(st.mac_key),
           last_at_utc = entry_at_utc
     WHERE id = 1;
END
$$;

-- What auditors compare the walk's end with: the head, and a commitment to the next key (never the key).
CREATE FUNCTION gvm.log_head(OUT head_seq bigint, OUT head_hash bytea, OUT key_commitment bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.head_seq, s.head_hash, gvm_private.key_commitment(s.mac_key) FROM gvm_private.log_state AS s
     WHERE s.id = 1
$$;

-- The first entry, chained under a fresh k[0] that is returned and never stored: the state row is
-- written only with k[1], so k[0] is in no table, no row version and no WAL record.
CREATE FUNCTION gvm_private.start_chain(
    p_tz text, p_workstation text, p_username text, p_role text, p_action text, p_outcome text, p_detail text
) RETURNS bytea
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    v_key0 bytea := gvm_private.gen_random_bytes(32);
    v_at text := gvm_private.now_utc('');
    v_hash bytea;
BEGIN
    IF EXISTS (SELECT 1 FROM gvm_private.log_state) THEN
        RAISE EXCEPTION 'the access log is already started';
    END IF;
    v_hash := gvm_private.write_entry(1, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
                                      v_key0, v_at, p_tz, p_workstation, NULL, p_username, p_role, NULL, p_action,
                                      NULL, NULL, NULL, p_outcome, p_detail, NULL);
    INSERT INTO gvm_private.log_state (id, head_seq, head_hash, mac_key, last_at_utc)
    VALUES (1, 1, v_hash, gvm_private.evolve(v_key0), v_at);
    RETURN v_key0;
END
$$;

-- Grants. Nothing is reachable by default; each group role gets exactly what it needs.
REVOKE ALL ON ALL TABLES IN SCHEMA gvm, gvm_private FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA gvm, gvm_private FROM PUBLIC;
GRANT USAGE ON SCHEMA gvm TO gvm_officer, gvm_spoc, gvm_auditor, gvm_partner, gvm_admin;
GRANT SELECT ON gvm.server_meta TO gvm_officer, gvm_spoc, gvm_auditor, gvm_partner, gvm_admin;
GRANT EXECUTE ON FUNCTION gvm.append_log(text, text, bigint, text, text, text, text, text, text, text, text, text,
                                         text) TO gvm_officer, gvm_spoc, gvm_auditor, gvm_partner, gvm_admin;
GRANT SELECT ON gvm.access_log TO gvm_auditor;
GRANT EXECUTE ON FUNCTION gvm.log_head() TO gvm_auditor;
-- None of these was granted; revoked by name so that the intent is in the schema, not only in its absence.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON gvm.access_log
    FROM PUBLIC, gvm_officer, gvm_spoc, gvm_auditor, gvm_partner, gvm_admin;
REVOKE ALL ON gvm_private.log_state FROM PUBLIC, gvm_officer, gvm_spoc, gvm_auditor, gvm_partner, gvm_admin;
