-- The inspection plan is now written in one INSERT … SELECT from the analytics ranking
-- (supervision/work-queries.ts planFromRanking). Its foreign key to units cost one
-- SELECT … FOR KEY SHARE on units per inserted row: on 30,000 units (EXPLAIN ANALYZE on the
-- bench data) the constraint trigger took 8.2 s of the statement's 12.7 s, the insert itself
-- 0.9 s. The plan is derived from units (every row comes from a unit row read in the same
-- statement), so the constraint is replaced by a statement-level trigger that removes the
-- plan rows of deleted units (the ON DELETE CASCADE it had). A plan row whose unit is deleted
-- while a plan is being written is harmless: the plan list joins units, and the next
-- deletion or generation does not bring it back to a screen.
ALTER TABLE supervision_inspection_plan DROP CONSTRAINT IF EXISTS supervision_inspection_plan_unit_id_fkey;

CREATE OR REPLACE FUNCTION supervision_plan_forget_units() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM supervision_inspection_plan p USING gone g WHERE p.unit_id = g.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER units_forget_inspection_plan AFTER DELETE ON units
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION supervision_plan_forget_units();
