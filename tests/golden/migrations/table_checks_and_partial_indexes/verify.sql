SELECT array_agg(id || ' ' || status || ' ' || amount || ' ' || code ORDER BY id) = ARRAY['1 Pending 10 ABC', '2 Released 200 DEF']::text[] FROM loan
