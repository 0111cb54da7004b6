INSERT INTO customer (id, name, email, note) VALUES
  ('00000000-0000-0000-0000-000000000001', 'Ada', 'ada@example.com', 'first'),
  ('00000000-0000-0000-0000-000000000002', 'Bob', 'bob@example.com', NULL);
INSERT INTO purchase (customer_id, state, total) VALUES
  ('00000000-0000-0000-0000-000000000001', 'paid', 10.50),
  ('00000000-0000-0000-0000-000000000002', 'open', 3.00);
