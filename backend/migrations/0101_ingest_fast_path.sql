-- Ingest fast path: a batch of frames from registered devices is written by ONE statement
-- in autocommit (receipts, last statuses, point states, events), after an unlocked read.
-- The statement re-checks what the read saw (receipts still absent, last statuses
-- unchanged) and aborts through this function when a concurrent writer got there first;
-- the store then retries the frames one per transaction with row locks.
CREATE FUNCTION ingest_assert(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = message,
      HINT = 'a concurrent writer changed the rows this batch read; the ingest store retries the frames one per transaction';
  END IF;
  RETURN true;
END $$;
