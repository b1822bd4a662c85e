-- The content of each order as a SHA-256 digest (hex), so that a repeated order_id can be told
-- apart: the same order again (a duplicate) or another order under a taken id (a conflict; the
-- first version stands). Rows stored before this migration have none and count as duplicates.
ALTER TABLE orders ADD COLUMN content_sha256 text;
