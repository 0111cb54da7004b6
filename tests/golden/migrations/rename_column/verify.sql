SELECT array_agg(full_name || ' ' || email_address ORDER BY full_name) = ARRAY['Ada ada@example.com', 'Bob bob@example.com']::text[] FROM customer
